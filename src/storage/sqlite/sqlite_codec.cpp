#include "sqlite_codec.hpp"

#include <algorithm>
#include <limits>

#include "base/serializer.hpp"
#include "sqlite_sql.hpp"
#include "storage/storage_rules.hpp"

namespace omniq {
namespace {

const JsonSerializer& json() {
  static const JsonSerializer serializer;
  return serializer;
}

std::optional<std::string> opt_time(const std::optional<Timestamp>& t) {
  if (!t) return std::nullopt;
  return format_time(*t);
}

[[noreturn]] void bad_column(const char* name, const std::string& why) {
  throw SerializationError("column " + std::string(name) + " " + why);
}

std::string_view text_of(const SqliteStatement& s, int column, const char* name) {
  if (s.type(column) != ColumnType::text) bad_column(name, "does not hold text");
  return s.text_view(column);
}

std::optional<std::string> opt_text_of(const SqliteStatement& s, int column, const char* name) {
  if (s.is_null(column)) return std::nullopt;
  return std::string(text_of(s, column, name));
}

std::int64_t integer_of(const SqliteStatement& s, int column, const char* name, std::int64_t lo,
                        std::int64_t hi) {
  if (s.type(column) != ColumnType::integer) bad_column(name, "does not hold an integer");
  std::int64_t n = s.integer(column);
  if (n < lo || n > hi) bad_column(name, "holds " + std::to_string(n) + ", out of range");
  return n;
}

int count_of(const SqliteStatement& s, int column, const char* name) {
  return static_cast<int>(integer_of(s, column, name, 0, 1'000'000'000));
}

Timestamp time_of(const SqliteStatement& s, int column, const char* name) {
  try {
    return parse_time(text_of(s, column, name));
  } catch (const SerializationError& e) {
    bad_column(name, e.what());
  }
}

std::optional<Timestamp> opt_time_of(const SqliteStatement& s, int column, const char* name) {
  if (s.is_null(column)) return std::nullopt;
  return time_of(s, column, name);
}

// The column's JSON, or nullopt for NULL. Columns holding user values
// (`private_values`) are reported without the parser's excerpt of them.
std::optional<Value> json_of(const SqliteStatement& s, int column, const char* name,
                             bool private_values) {
  if (s.is_null(column)) return std::nullopt;
  std::string_view text = text_of(s, column, name);
  try {
    return json().decode(text);
  } catch (const SerializationError& e) {
    std::string why = private_values ? std::to_string(text.size()) + " bytes" : e.what();
    bad_column(name, "does not hold valid JSON (" + why + ")");
  }
}

TaskStatus status_of(const SqliteStatement& s, int column) {
  std::string_view text = text_of(s, column, "status");
  auto status = parse_status(text);
  if (!status) {
    bad_column("status", "holds \"" + std::string(text.substr(0, 32)) +
                             "\", none of PENDING, RUNNING, SUCCESS, FAILED, RETRYING, CANCELLED");
  }
  return *status;
}

// NULL, or seconds as an integer (the original) or a real (a fraction).
std::optional<Duration> seconds_of(const SqliteStatement& s, int column, const char* name) {
  if (s.is_null(column)) return std::nullopt;
  if (s.type(column) == ColumnType::integer) {
    return std::chrono::seconds(integer_of(s, column, name, 0, 3'200'000'000));
  }
  double seconds = s.type(column) == ColumnType::real ? s.real(column) : -1;
  if (!(seconds >= 0 && seconds <= 3.2e9)) bad_column(name, "does not hold seconds");
  return from_seconds(seconds);
}

// Seconds as the original writes them: an integer when whole.
void bind_seconds(SqliteStatement& s, int index, const std::optional<Duration>& d) {
  if (d && d->count() % 1000000 == 0) {
    s.bind(index, static_cast<std::int64_t>(d->count() / 1000000));
  } else if (d) {
    s.bind(index, to_seconds(*d));
  }
}

}  // namespace

std::string encode_error(const TaskError& e) {
  return json().encode(to_value(e));
}

void bind_task(SqliteStatement& s, const Task& t) {
  s.bind_all(t.id, t.func_path, json().encode(t.args), json().encode(t.kwargs), to_string(t.status),
             json().encode(to_value(t.schedule)), format_time(due_time(t)), t.max_retries,
             std::nullopt /* timeout, below */, t.attempts, format_time(t.created_at),
             format_time(t.updated_at), opt_time(t.last_attempt_at),
             t.error ? std::optional(encode_error(*t.error)) : std::nullopt,
             opt_time(t.lease_expires_at), int{t.cancel_requested}, t.queue, t.priority,
             t.unique_key, int{t.unique_statuses}, t.retry_of);
  bind_seconds(s, 9, t.timeout);
}

void bind_result(SqliteStatement& s, const TaskResult& r) {
  s.bind_all(r.task_id, to_string(r.status),
             r.result ? std::optional(json().encode(*r.result)) : std::nullopt,
             r.error ? std::optional(r.error->message) : std::nullopt, format_time(r.finished_at),
             r.attempts, opt_time(r.last_attempt_at),
             r.error ? std::optional(encode_error(*r.error)) : std::nullopt);
}

Task read_claim(const SqliteStatement& s) {
  using namespace sql;
  Task t;
  t.id = std::string(text_of(s, kId, "id"));
  if (!is_valid_id(t.id)) {
    bad_column("id", "holds \"" + t.id.substr(0, 64) + "\", which is not a valid task id");
  }
  t.status = status_of(s, kStatus);
  t.attempts = count_of(s, kAttempts, "attempts");
  t.updated_at = time_of(s, kUpdatedAt, "updated_at");
  t.last_attempt_at = opt_time_of(s, kLastAttemptAt, "last_attempt_at");
  t.lease_expires_at = opt_time_of(s, kLeaseExpiresAt, "lease_expires_at");
  if (t.status == TaskStatus::RUNNING && !t.lease_expires_at) {
    t.lease_expires_at = t.last_attempt_at.value_or(t.updated_at) + kOriginalClaimLease;
  }
  t.cancel_requested = integer_of(s, kCancelRequested, "cancel_requested", 0, 1) != 0;
  return t;
}

Task read_task(const SqliteStatement& s) {
  using namespace sql;
  Task t = read_claim(s);
  t.func_path = std::string(text_of(s, kFuncPath, "func_path"));
  auto args = json_of(s, kArgs, "args", true);
  if (!args || !args->is_array()) bad_column("args", "does not hold a JSON array");
  t.args = std::move(*args);
  auto kwargs = json_of(s, kKwargs, "kwargs", true);
  if (!kwargs || !kwargs->is_object()) bad_column("kwargs", "does not hold a JSON object");
  t.kwargs = std::move(*kwargs);
  auto schedule = json_of(s, kSchedule, "schedule", false);
  if (schedule && !schedule->is_null()) t.schedule = schedule_from_value(*schedule);
  t.max_retries = count_of(s, kMaxRetries, "max_retries");
  t.timeout = seconds_of(s, kTimeout, "timeout");
  t.created_at = time_of(s, kCreatedAt, "created_at");
  // The original writes the JSON text "null" for no error.
  auto error = json_of(s, kError, "error", false);
  if (error && !error->is_null()) t.error = task_error_from_value(*error);
  t.queue = std::string(text_of(s, kQueue, "queue"));
  t.priority = static_cast<int>(integer_of(
      s, kPriority, "priority", std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
  t.unique_key = opt_text_of(s, kUniqueKey, "unique_key");
  t.unique_statuses =
      static_cast<std::uint8_t>(integer_of(s, kUniqueStatuses, "unique_statuses", 0, 63));
  t.retry_of = opt_text_of(s, kRetryOf, "retry_of");
  return t;
}

TaskResult read_result(const SqliteStatement& s) {
  using namespace sql;
  TaskResult r;
  r.task_id = std::string(text_of(s, kRTaskId, "task_id"));
  r.status = status_of(s, kRStatus);
  // NULL = no value; the JSON text "null" = a null value (a void handler's).
  r.result = json_of(s, kRResult, "result", true);
  r.finished_at = time_of(s, kRFinishedAt, "finished_at");
  r.attempts = count_of(s, kRAttempts, "attempts");
  r.last_attempt_at = opt_time_of(s, kRLastAttemptAt, "last_attempt_at");
  auto detail = json_of(s, kRErrorDetail, "error_detail", false);
  if (detail && !detail->is_null()) {
    r.error = task_error_from_value(*detail);
  } else if (auto message = opt_text_of(s, kRError, "error")) {
    // A row the original wrote: only the message is known.
    r.error = TaskError::make("Error", *message, r.finished_at, false);
  }
  return r;
}

CorruptRow corrupt_row(const SqliteStatement& s, std::string reason) {
  CorruptRow row{s.integer(sql::kRowid), std::nullopt, 0, std::move(reason)};
  if (!s.is_null(sql::kId)) row.id = s.text(sql::kId);
  if (s.type(sql::kAttempts) == ColumnType::integer) {
    row.attempts =
        static_cast<int>(std::clamp<std::int64_t>(s.integer(sql::kAttempts), 0, 1'000'000'000));
  }
  return row;
}

}  // namespace omniq
