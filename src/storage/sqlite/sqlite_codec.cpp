#include "sqlite_codec.hpp"

#include "serializer.hpp"
#include "sqlite_sql.hpp"
#include "storage_rules.hpp"

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

// The column's JSON, or nullopt for NULL. Columns holding user values
// (`private_values`) are reported without the parser's excerpt of them.
std::optional<Value> json_column(const SqliteStatement& s, int column, const char* name,
                                 bool private_values) {
  if (s.is_null(column)) return std::nullopt;
  std::string text = s.text(column);
  try {
    return json().decode(text);
  } catch (const SerializationError& e) {
    std::string why = private_values ? std::to_string(text.size()) + " bytes" : e.what();
    throw SerializationError("column " + std::string(name) + " does not hold valid JSON (" + why +
                             ")");
  }
}

// An integer, real or text column as a Value, for from_value to check.
Value scalar_column(const SqliteStatement& s, int column) {
  switch (s.type(column)) {
    case ColumnType::integer:
      return Value(s.integer(column));
    case ColumnType::real:
      return Value(s.real(column));
    case ColumnType::text:
    case ColumnType::blob:
      return Value(s.text(column));
    case ColumnType::null:
      break;
  }
  return Value(nullptr);
}

void bind_seconds(SqliteStatement& s, int index, const std::optional<Duration>& d) {
  if (!d) {
    s.bind_null(index);
  } else if (d->count() % 1000000 == 0) {
    s.bind(index, static_cast<std::int64_t>(d->count() / 1000000));
  } else {
    s.bind(index, to_seconds(*d));
  }
}

// The common row (kwargs and schedule empty, no error, column types as omniq
// writes them) read straight into a Task; nullopt for anything else, which
// read_task then reads through task_from_value with its full checks and
// messages. Accepts only what that path accepts, with the same result.
std::optional<Task> read_plain_task(const SqliteStatement& s) {
  using namespace sql;
  auto is = [&](int column, ColumnType t) { return s.type(column) == t; };
  auto text_or_null = [&](int column) {
    return is(column, ColumnType::text) || is(column, ColumnType::null);
  };
  if (!is(kId, ColumnType::text) || !is(kFuncPath, ColumnType::text) ||
      !is(kArgs, ColumnType::text) || !is(kKwargs, ColumnType::text) ||
      !is(kStatus, ColumnType::text) || !is(kSchedule, ColumnType::text) ||
      !is(kMaxRetries, ColumnType::integer) || !is(kAttempts, ColumnType::integer) ||
      !is(kCreatedAt, ColumnType::text) || !is(kUpdatedAt, ColumnType::text) ||
      !is(kError, ColumnType::null) || !text_or_null(kLastAttemptAt) ||
      !text_or_null(kLeaseExpiresAt) ||
      !(is(kTimeout, ColumnType::integer) || is(kTimeout, ColumnType::null))) {
    return std::nullopt;
  }
  if (s.text_view(kKwargs) != "{}" || s.text_view(kSchedule) != "{}") return std::nullopt;
  auto counted = [&](int column) -> std::optional<int> {
    std::int64_t n = s.integer(column);
    if (n < 0 || n > 1'000'000'000) return std::nullopt;
    return static_cast<int>(n);
  };
  auto max_retries = counted(kMaxRetries);
  auto attempts = counted(kAttempts);
  auto status = parse_status(s.text_view(kStatus));
  if (!max_retries || !attempts || !status) return std::nullopt;
  Task t;
  t.id = s.text(kId);
  if (!is_valid_id(t.id)) return std::nullopt;
  try {
    t.args = json().decode(s.text_view(kArgs));
    t.created_at = parse_time(s.text_view(kCreatedAt));
    t.updated_at = parse_time(s.text_view(kUpdatedAt));
    if (!s.is_null(kLastAttemptAt)) t.last_attempt_at = parse_time(s.text_view(kLastAttemptAt));
    if (!s.is_null(kLeaseExpiresAt)) t.lease_expires_at = parse_time(s.text_view(kLeaseExpiresAt));
  } catch (const SerializationError&) {
    return std::nullopt;
  }
  if (!t.args.is_array()) return std::nullopt;
  if (!s.is_null(kTimeout)) {
    std::int64_t seconds = s.integer(kTimeout);
    if (seconds < 0 || seconds > 3'200'000'000) return std::nullopt;
    t.timeout = std::chrono::seconds(seconds);
  }
  t.func_path = s.text(kFuncPath);
  t.kwargs = Value::object();
  t.status = *status;
  t.max_retries = *max_retries;
  t.attempts = *attempts;
  return t;
}

}  // namespace

std::string encode_error(const TaskError& e) {
  return json().encode(to_value(e));
}

std::string encode_schedule(const Schedule& s) {
  return json().encode(to_value(s));
}

EncodedTask encode_task(const Task& t) {
  EncodedTask row;
  row.id = t.id;
  row.func_path = t.func_path;
  row.args = json().encode(t.args);
  row.kwargs = json().encode(t.kwargs);
  row.status = std::string(to_string(t.status));
  row.schedule = encode_schedule(t.schedule);
  row.eta = format_time(due_time(t));
  row.max_retries = t.max_retries;
  row.timeout = t.timeout;
  row.attempts = t.attempts;
  row.created_at = format_time(t.created_at);
  row.updated_at = format_time(t.updated_at);
  row.last_attempt_at = opt_time(t.last_attempt_at);
  if (t.error) row.error = encode_error(*t.error);
  row.lease_expires_at = opt_time(t.lease_expires_at);
  return row;
}

EncodedResult encode_result(std::string_view task_id, const TaskResult& r) {
  EncodedResult row;
  row.task_id = std::string(task_id);
  row.status = std::string(to_string(r.status));
  if (r.result) row.result = json().encode(*r.result);
  if (r.error) {
    row.error = r.error->message;
    row.error_detail = encode_error(*r.error);
  }
  row.finished_at = format_time(r.finished_at);
  row.attempts = r.attempts;
  row.last_attempt_at = opt_time(r.last_attempt_at);
  return row;
}

void bind_task(SqliteStatement& s, const EncodedTask& row) {
  s.bind_ref(1, row.id);
  s.bind_ref(2, row.func_path);
  s.bind_ref(3, row.args);
  s.bind_ref(4, row.kwargs);
  s.bind_ref(5, row.status);
  s.bind_ref(6, row.schedule);
  s.bind_ref(7, row.eta);
  s.bind(8, row.max_retries);
  bind_seconds(s, 9, row.timeout);
  s.bind(10, row.attempts);
  s.bind_ref(11, row.created_at);
  s.bind_ref(12, row.updated_at);
  s.bind_ref(13, row.last_attempt_at);
  s.bind_ref(14, row.error);
  s.bind_ref(15, row.lease_expires_at);
  s.bind(16, std::int64_t{0});
}

void bind_result(SqliteStatement& s, const EncodedResult& row) {
  s.bind_ref(1, row.task_id);
  s.bind_ref(2, row.status);
  s.bind_ref(3, row.result);
  s.bind_ref(4, row.error);
  s.bind_ref(5, row.finished_at);
  s.bind(6, row.attempts);
  s.bind_ref(7, row.last_attempt_at);
  s.bind_ref(8, row.error_detail);
}

Task read_task(const SqliteStatement& s) {
  if (auto plain = read_plain_task(s)) return std::move(*plain);
  using namespace sql;
  Value v = Value::object();
  v["id"] = scalar_column(s, kId);
  v["func_path"] = scalar_column(s, kFuncPath);
  auto args = json_column(s, kArgs, "args", true);
  auto kwargs = json_column(s, kKwargs, "kwargs", true);
  if (!args || !kwargs) throw SerializationError("column args or kwargs is NULL");
  v["args"] = std::move(*args);
  v["kwargs"] = std::move(*kwargs);
  v["status"] = scalar_column(s, kStatus);
  if (auto schedule = json_column(s, kSchedule, "schedule", false)) v["schedule"] = *schedule;
  v["max_retries"] = scalar_column(s, kMaxRetries);
  v["timeout"] = scalar_column(s, kTimeout);
  v["attempts"] = scalar_column(s, kAttempts);
  v["created_at"] = scalar_column(s, kCreatedAt);
  v["updated_at"] = scalar_column(s, kUpdatedAt);
  v["last_attempt_at"] = scalar_column(s, kLastAttemptAt);
  // The original writes the JSON text "null" for no error: null reads as absent.
  if (auto error = json_column(s, kError, "error", false)) v["error"] = *error;
  v["lease_expires_at"] = scalar_column(s, kLeaseExpiresAt);
  Task t = task_from_value(v);
  if (!is_valid_id(t.id)) {
    throw SerializationError("column id holds \"" + t.id.substr(0, 64) +
                             "\", which is not a valid task id");
  }
  return t;
}

TaskResult read_result(const SqliteStatement& s) {
  using namespace sql;
  Value v = Value::object();
  v["task_id"] = scalar_column(s, kRTaskId);
  v["status"] = scalar_column(s, kRStatus);
  // NULL = no value; the JSON text "null" = a null value (a void handler's).
  if (auto result = json_column(s, kRResult, "result", true)) v["result"] = *result;
  v["finished_at"] = scalar_column(s, kRFinishedAt);
  v["attempts"] = scalar_column(s, kRAttempts);
  v["last_attempt_at"] = scalar_column(s, kRLastAttemptAt);
  auto detail = json_column(s, kRErrorDetail, "error_detail", false);
  if (detail && !detail->is_null()) {
    v["error"] = *detail;
  } else if (!s.is_null(kRError)) {
    // A row the original wrote: only the message is known.
    v["error"] = Value{
        {"error_type", "Error"}, {"message", s.text(kRError)}, {"timestamp", v["finished_at"]},
        {"traceback", nullptr},  {"retry_count", 0},           {"is_retryable", false}};
  }
  return task_result_from_value(v);
}

}  // namespace omniq
