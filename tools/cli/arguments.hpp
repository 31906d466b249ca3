// Turning command-line text into omniq values, with messages that say what
// was wrong and what is accepted. Every function here throws UsageError
// (exit code 2) on bad input.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "commands.hpp"
#include "omniq/omniq.hpp"
#include "omniq/storage.hpp"

namespace omniq::cli {

// A duration such as 500ms, 10s, 5m, 2h, 7d or 30 (seconds), for `option`.
Duration parse_duration_arg(std::string_view option, std::string_view text);
// An instant in ISO-8601 (e.g. 2030-01-02T03:04:05Z or ...+00:00), for `option`.
Timestamp parse_time_arg(std::string_view option, std::string_view text);
// A JSON document, for `what` (e.g. "ARGS_JSON").
Value parse_json_arg(std::string_view what, std::string_view text);
// A task id as the stores write them (1-64 characters of A-Z a-z 0-9 _ -).
const std::string& checked_id(const std::string& id);
// A status name, any case: pending, running, success, failed, retrying, cancelled.
TaskStatus parse_status_arg(std::string_view text);
// An integer in [min, max], for `option`.
int parse_int_arg(std::string_view option, std::string_view text, int min, int max);

// The store and the blocking façade over it, as the settings name them.
struct Queue {
  std::shared_ptr<Storage> storage;
  OmniQ oq;
};
std::unique_ptr<Queue> open_queue(const Settings& settings);

// Where the settings point, for messages: "sqlite ./omniq.db", "file ./omniq-data".
std::string describe_store(const Settings& settings);

// The error for an id the store does not know (exit code 1).
[[noreturn]] void throw_no_task(const std::string& id, const Settings& settings);

}  // namespace omniq::cli
