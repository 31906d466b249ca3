// omniq's logging: one spdlog logger named "omniq".
//
// The level comes from Settings::log_level / OMNIQ_LOG_LEVEL (default INFO).
// Lifecycle events (enqueued, started, succeeded, retrying, failed, cancelled)
// are logged with the task id and func_path, never with argument values.
// Applications route omniq's output to their own sinks with set_log_sinks.
//
// Thread-safety: all functions may be called from any thread.
#pragma once

#include <memory>
#include <vector>

#include "omniq/settings.hpp"

namespace spdlog {
class logger;
namespace sinks {
class sink;
}  // namespace sinks
}  // namespace spdlog

namespace omniq {

// The "omniq" logger (created on first use, writing to stderr).
std::shared_ptr<spdlog::logger> logger();

void set_log_level(LogLevel level);
LogLevel log_level();

// Replaces the logger's sinks (e.g. with the application's own). An empty list
// silences omniq.
void set_log_sinks(std::vector<std::shared_ptr<spdlog::sinks::sink>> sinks);

}  // namespace omniq
