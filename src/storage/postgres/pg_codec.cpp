#include "pg_codec.hpp"

#include "storage/storage_rules.hpp"

namespace omniq {
namespace {

Value json_column(const PgResult& r, int row, int col) {
  try {
    return Value::parse(r.text(row, col));
  } catch (const nlohmann::json::exception& e) {
    throw SerializationError("column " + std::to_string(col) + " is not JSON: " + e.what());
  }
}

// PostgreSQL writes "2026-11-26 04:06:42.123456+00" in ISO DateStyle; parse_time
// wants the offset's minutes too.
std::string time_text(const PgResult& r, int row, int col) {
  std::string t(r.text(row, col));
  if (t.size() > 3 && (t[t.size() - 3] == '+' || t[t.size() - 3] == '-')) t += ":00";
  return t;
}

void put_time(Value& v, const char* key, const PgResult& r, int row, int col) {
  if (!r.is_null(row, col)) v[key] = time_text(r, row, col);
}

}  // namespace

std::string json_text(const Value& v) {
  try {
    return v.dump();
  } catch (const nlohmann::json::exception& e) {
    throw SerializationError(std::string("cannot store a value in PostgreSQL: ") + e.what());
  }
}

Value task_row(const Task& t, std::size_t ord) {
  Value v{{"ord", ord},
          {"id", t.id},
          {"func_path", t.func_path},
          {"args", t.args},
          {"kwargs", t.kwargs},
          {"status", to_string(t.status)},
          {"schedule", to_value(t.schedule)},
          {"eta", format_time(due_time(t))},
          {"max_retries", t.max_retries},
          {"attempts", t.attempts},
          {"created_at", format_time(t.created_at)},
          {"updated_at", format_time(t.updated_at)},
          {"queue", t.queue},
          {"priority", t.priority},
          {"unique_statuses", t.unique_statuses},
          {"cancel_requested", t.cancel_requested}};
  if (t.timeout) v["timeout_us"] = t.timeout->count();
  if (t.last_attempt_at) v["last_attempt_at"] = format_time(*t.last_attempt_at);
  if (t.error) v["error"] = to_value(*t.error);
  if (t.unique_key) v["unique_key"] = *t.unique_key;
  if (t.retry_of) v["retry_of"] = *t.retry_of;
  if (t.lease_expires_at) v["lease_expires_at"] = format_time(*t.lease_expires_at);
  return v;
}

Value outcome_row(const Outcome& o, std::size_t ord) {
  Value v{{"ord", ord},
          {"id", o.task_id},
          {"attempt", o.attempt},
          {"status", to_string(o.status)},
          {"at", format_time(o.at)},
          {"lease_expired", o.lease_expired}};
  if (is_waiting(o.status) && o.next_eta) v["next_eta"] = format_time(*o.next_eta);
  if (o.error) v["error"] = to_value(*o.error);
  if (o.result) v["res"] = to_value(*o.result);
  return v;
}

Task read_task(const PgResult& r, int row) {
  Value v{{"id", r.text(row, kColId)},
          {"func_path", r.text(row, kColFuncPath)},
          {"args", json_column(r, row, kColArgs)},
          {"kwargs", json_column(r, row, kColKwargs)},
          {"status", r.text(row, kColStatus)},
          {"schedule", json_column(r, row, kColSchedule)},
          {"max_retries", r.integer(row, kColMaxRetries)},
          {"attempts", r.integer(row, kColAttempts)},
          {"queue", r.text(row, kColQueue)},
          {"priority", r.integer(row, kColPriority)},
          {"unique_statuses", r.integer(row, kColUniqueStatuses)},
          {"cancel_requested", r.boolean(row, kColCancelRequested)}};
  put_time(v, "created_at", r, row, kColCreatedAt);
  put_time(v, "updated_at", r, row, kColUpdatedAt);
  put_time(v, "last_attempt_at", r, row, kColLastAttemptAt);
  put_time(v, "lease_expires_at", r, row, kColLeaseExpiresAt);
  if (!r.is_null(row, kColError)) v["error"] = json_column(r, row, kColError);
  if (!r.is_null(row, kColUniqueKey)) v["unique_key"] = r.text(row, kColUniqueKey);
  if (!r.is_null(row, kColRetryOf)) v["retry_of"] = r.text(row, kColRetryOf);
  Task t = task_from_value(v);
  if (!r.is_null(row, kColTimeoutUs)) t.timeout = Duration(r.integer(row, kColTimeoutUs));
  return t;
}

TaskResult read_result(const PgResult& r, int row) {
  Value v{{"task_id", r.text(row, 0)},
          {"status", r.text(row, 1)},
          {"finished_at", time_text(r, row, 4)},
          {"attempts", r.integer(row, 5)}};
  if (!r.is_null(row, 2)) v["result"] = json_column(r, row, 2);  // JSON null: a void result
  if (!r.is_null(row, 3)) v["error"] = json_column(r, row, 3);
  put_time(v, "last_attempt_at", r, row, 6);
  return task_result_from_value(v);
}

WorkerInfo read_worker(const PgResult& r, int row) {
  WorkerInfo w;
  w.id = r.text(row, 0);
  w.host = r.text(row, 1);
  w.pid = r.integer(row, 2);
  Value queues = json_column(r, row, 3);
  try {
    for (const auto& [queue, n] : queues.items()) w.queues[queue] = n.get<std::size_t>();
  } catch (const nlohmann::json::exception& e) {
    throw SerializationError("worker " + w.id + " has unreadable queues: " + e.what());
  }
  w.started_at = read_time(r, row, 4);
  w.seen_at = read_time(r, row, 5);
  return w;
}

Timestamp read_time(const PgResult& r, int row, int col) {
  return parse_time(time_text(r, row, col));
}

}  // namespace omniq
