// The mapping between the task models and Value, shared by every serializer
// and store. Readers check every type and say which field was wrong.
#include <cmath>

#include "base/task_rules.hpp"
#include "omniq/error.hpp"
#include "omniq/storage.hpp"

namespace omniq {
namespace {

[[noreturn]] void bad(std::string_view what, std::string_view field, std::string_view why) {
  throw SerializationError("cannot decode " + std::string(what) + ": field \"" +
                           std::string(field) + "\" " + std::string(why));
}

class Reader {
 public:
  Reader(const Value& v, std::string_view what) : v_(v), what_(what) {
    if (!v.is_object()) {
      throw SerializationError("cannot decode " + std::string(what) + ": expected an object, got " +
                               v.type_name());
    }
  }

  // The field, or nullptr when absent or null.
  const Value* find(std::string_view key) const {
    auto it = v_.find(key);
    if (it == v_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  // The field, or nullptr when absent or null; throws unless (field.*is)() holds.
  const Value* find(std::string_view key, bool (Value::*is)() const noexcept,
                    std::string_view type) const {
    const Value* f = find(key);
    if (f != nullptr && !(f->*is)()) {
      bad(what_, key, "must be " + std::string(type) + ", got " + f->type_name());
    }
    return f;
  }
  const Value& need(std::string_view key, bool (Value::*is)() const noexcept,
                    std::string_view type) const {
    const Value* f = find(key, is, type);
    if (f == nullptr) bad(what_, key, "is missing");
    return *f;
  }
  std::string string(std::string_view key) const {
    return need(key, &Value::is_string, "a string").get<std::string>();
  }
  std::optional<std::string> opt_string(std::string_view key) const {
    if (!find(key)) return std::nullopt;
    return string(key);
  }
  Timestamp time(std::string_view key) const {
    std::string text = string(key);
    try {
      return parse_time(text);
    } catch (const SerializationError& e) {
      bad(what_, key, e.what());
    }
  }
  std::optional<Timestamp> opt_time(std::string_view key) const {
    if (!find(key)) return std::nullopt;
    return time(key);
  }
  int integer(std::string_view key) const {
    auto n = need(key, &Value::is_number_integer, "an integer").get<std::int64_t>();
    if (n < 0 || n > 1'000'000'000) bad(what_, key, "is out of range: " + std::to_string(n));
    return static_cast<int>(n);
  }
  int opt_integer(std::string_view key, int fallback) const {
    return find(key) ? integer(key) : fallback;
  }
  // Any int (priorities may be negative).
  int signed_integer(std::string_view key, int fallback) const {
    const Value* f = find(key);
    if (f == nullptr) return fallback;
    if (!f->is_number_integer() || f->get<std::int64_t>() < INT32_MIN ||
        f->get<std::int64_t>() > INT32_MAX) {
      bad(what_, key, "must be a 32-bit integer");
    }
    return static_cast<int>(f->get<std::int64_t>());
  }
  bool boolean(std::string_view key) const {
    return need(key, &Value::is_boolean, "a boolean").get<bool>();
  }
  std::optional<Duration> opt_seconds(std::string_view key) const {
    const Value* f = find(key, &Value::is_number, "seconds");
    if (f == nullptr) return std::nullopt;
    double s = f->get<double>();
    if (!std::isfinite(s) || s < 0 || s > 3.2e9) bad(what_, key, "is out of range");
    return from_seconds(s);
  }
  TaskStatus status(std::string_view key) const {
    std::string text = string(key);
    auto s = parse_status(text);
    if (!s) bad(what_, key, "is not a task status: \"" + text.substr(0, 32) + "\"");
    return *s;
  }

 private:
  const Value& v_;
  std::string_view what_;
};

Value seconds_value(Duration d) {
  if (d.count() % 1000000 == 0) return Value(d.count() / 1000000);
  return Value(to_seconds(d));
}

}  // namespace

Value to_value(const TaskError& e) {
  return Value{{"error_type", e.error_type},
               {"message", e.message},
               {"timestamp", format_time(e.timestamp)},
               {"traceback", e.traceback ? Value(*e.traceback) : Value(nullptr)},
               {"retry_count", e.retry_count},
               {"is_retryable", e.is_retryable}};
}

TaskError task_error_from_value(const Value& v) {
  Reader r(v, "TaskError");
  TaskError e;
  e.error_type = r.string("error_type");
  e.message = r.string("message");
  e.timestamp = r.time("timestamp");
  e.traceback = r.opt_string("traceback");
  e.retry_count = r.opt_integer("retry_count", 0);
  e.is_retryable = r.find("is_retryable") ? r.boolean("is_retryable") : true;
  return e;
}

Value to_value(const Schedule& s) {
  Value v = Value::object();
  if (s.eta) v["eta"] = format_time(*s.eta);
  if (s.interval) {
    v["interval"] = Value{{"type", "timedelta"}, {"total_seconds", seconds_value(*s.interval)}};
  }
  if (s.cron) v["cron"] = *s.cron;
  if (s.timezone) v["timezone"] = *s.timezone;
  return v;
}

Schedule schedule_from_value(const Value& v) {
  Reader r(v, "Schedule");
  Schedule s;
  s.eta = r.opt_time("eta");
  if (const Value* iv = r.find("interval")) {
    // The original writes {"type": "timedelta", "total_seconds": n}; a bare number is seconds.
    if (iv->is_object()) {
      s.interval = Reader(*iv, "Schedule.interval").opt_seconds("total_seconds");
      if (!s.interval) bad("Schedule", "interval", "has no total_seconds");
    } else {
      s.interval = r.opt_seconds("interval");
    }
  }
  s.cron = r.opt_string("cron");
  s.timezone = r.opt_string("timezone");
  return s;
}

Value to_value(const Task& t) {
  Value v{{"id", t.id},
          {"func_path", t.func_path},
          {"args", t.args},
          {"kwargs", t.kwargs},
          {"status", to_string(t.status)},
          {"schedule", to_value(t.schedule)},
          {"max_retries", t.max_retries},
          {"attempts", t.attempts},
          {"created_at", format_time(t.created_at)},
          {"updated_at", format_time(t.updated_at)}};
  if (t.timeout) v["timeout"] = seconds_value(*t.timeout);
  if (t.last_attempt_at) v["last_attempt_at"] = format_time(*t.last_attempt_at);
  if (t.error) v["error"] = to_value(*t.error);
  if (t.lease_expires_at) v["lease_expires_at"] = format_time(*t.lease_expires_at);
  if (t.queue != "default") v["queue"] = t.queue;
  if (t.priority != 0) v["priority"] = t.priority;
  if (t.unique_key) {
    v["unique_key"] = *t.unique_key;
    v["unique_statuses"] = t.unique_statuses;
  }
  if (t.retry_of) v["retry_of"] = *t.retry_of;
  if (t.cancel_requested) v["cancel_requested"] = true;
  return v;
}

Task task_from_value(const Value& v) {
  Reader r(v, "Task");
  Task t;
  t.id = r.string("id");
  t.func_path = r.string("func_path");
  if (const Value* a = r.find("args", &Value::is_array, "an array")) t.args = *a;
  if (const Value* k = r.find("kwargs", &Value::is_object, "an object")) t.kwargs = *k;
  t.status = r.status("status");
  if (const Value* s = r.find("schedule")) t.schedule = schedule_from_value(*s);
  t.max_retries = r.opt_integer("max_retries", 0);
  t.timeout = r.opt_seconds("timeout");
  t.attempts = r.opt_integer("attempts", 0);
  t.created_at = r.time("created_at");
  t.updated_at = r.find("updated_at") ? r.time("updated_at") : t.created_at;
  t.last_attempt_at = r.opt_time("last_attempt_at");
  if (const Value* e = r.find("error")) t.error = task_error_from_value(*e);
  t.lease_expires_at = r.opt_time("lease_expires_at");
  if (r.find("queue")) t.queue = r.string("queue");
  t.priority = r.signed_integer("priority", 0);
  t.unique_key = r.opt_string("unique_key");
  t.unique_statuses = static_cast<std::uint8_t>(r.opt_integer("unique_statuses", 0) & 0x3f);
  t.retry_of = r.opt_string("retry_of");
  t.cancel_requested = r.find("cancel_requested") && r.boolean("cancel_requested");
  return t;
}

Value to_value(const TaskResult& res) {
  Value v{{"task_id", res.task_id},
          {"status", to_string(res.status)},
          {"finished_at", format_time(res.finished_at)},
          {"attempts", res.attempts}};
  if (res.result) v["result"] = *res.result;
  if (res.error) v["error"] = to_value(*res.error);
  if (res.last_attempt_at) v["last_attempt_at"] = format_time(*res.last_attempt_at);
  return v;
}

TaskResult task_result_from_value(const Value& v) {
  Reader r(v, "TaskResult");
  TaskResult res;
  res.task_id = r.string("task_id");
  res.status = r.status("status");
  // Absent and null differ here: a void handler's result is a stored null.
  if (auto it = v.find("result"); it != v.end()) res.result = *it;
  if (const Value* e = r.find("error")) res.error = task_error_from_value(*e);
  res.finished_at = r.time("finished_at");
  res.attempts = r.opt_integer("attempts", 0);
  res.last_attempt_at = r.opt_time("last_attempt_at");
  return res;
}

}  // namespace omniq
