// The mapping between the task models and the columns of the SQLite store's
// `tasks` and `results` tables, in the original library's forms: statuses as
// upper-case text, instants as ISO-8601 UTC text (always format_time's full
// form when omniq writes), args/kwargs/schedule/error as JSON text, timeout as
// seconds (an integer when whole), results.error as the plain message with the
// six-field TaskError beside it in error_detail. Values go through the same
// to_value/from_value codec as every other store. Internal to the library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "omniq/task.hpp"
#include "sqlite_statement.hpp"

namespace omniq {

// A task as the column values omniq writes (encoded before a write
// transaction starts, so that work is not serialised behind the lock).
struct EncodedTask {
  std::string id, func_path, args, kwargs, status, schedule;
  std::string eta;  // when it is due: schedule.eta, else created_at
  std::int64_t max_retries = 0;
  std::optional<Duration> timeout;
  std::int64_t attempts = 0;
  std::string created_at, updated_at;
  std::optional<std::string> last_attempt_at, error, lease_expires_at;
};

// A result as the column values of `results`.
struct EncodedResult {
  std::string task_id, status;
  std::optional<std::string> result;  // JSON text; NULL when there is no value
  std::optional<std::string> error;   // the plain message, as the original writes it
  std::string finished_at;
  std::int64_t attempts = 0;
  std::optional<std::string> last_attempt_at;
  std::optional<std::string> error_detail;  // the six-field TaskError JSON
};

// Throw SerializationError when a value cannot be written as JSON.
EncodedTask encode_task(const Task& t);
EncodedResult encode_result(std::string_view task_id, const TaskResult& r);
std::string encode_error(const TaskError& e);
std::string encode_schedule(const Schedule& s);

// Bind ?1..?16 of sql::kInsertTask, ?1..?8 of sql::kUpsertResult, without
// copying the text: `row` must outlive that use of the statement.
void bind_task(SqliteStatement& s, const EncodedTask& row);
void bind_result(SqliteStatement& s, const EncodedResult& row);

// Reads the current row, selected as sql::kTaskColumns / sql::kResultColumns.
// Throws SerializationError saying which column omniq cannot read (never
// quoting argument or result values).
Task read_task(const SqliteStatement& s);
TaskResult read_result(const SqliteStatement& s);

}  // namespace omniq
