// The task models: TaskStatus, Task, Schedule, TaskResult, TaskError, TaskDef,
// TaskOptions and Enqueued.
//
// Argument and result values are omniq::Value (nlohmann::json): make your own
// types transportable with the usual to_json/from_json. The models are plain
// values; they are not synchronised and are copied between threads.
#pragma once

#include <array>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "omniq/error.hpp"
#include "omniq/time.hpp"

namespace omniq {

// TaskStatus, and the one table of allowed status changes:
//
//   PENDING  -> RUNNING, CANCELLED
//   RUNNING  -> SUCCESS, FAILED, RETRYING, CANCELLED, PENDING
//   RETRYING -> RUNNING, CANCELLED
//   SUCCESS, FAILED, CANCELLED: terminal
//
// A move to the same status is always allowed (a no-op). The upper-case names
// are the wire form, in every store and serializer.
enum class TaskStatus : std::uint8_t {
  // Waiting to run. Enqueue creates a task here; an interval task returns here
  // after each successful run, and a task whose worker died (lease expired)
  // returns here or to RETRYING. Leaves by a worker's claim or by cancel.
  PENDING,
  // Claimed by a worker, which holds a lease on it. Leaves when the
  // attempt's outcome is recorded, also when its lease expired (its worker
  // died) or it is given back unstarted.
  RUNNING,
  // Terminal: the handler returned; its value is stored as the result.
  SUCCESS,
  // Terminal: the last allowed attempt failed, or the failure was not
  // retryable; the TaskError is stored with the result.
  FAILED,
  // An attempt failed and retries remain; the queue set an eta after the
  // backoff delay. Leaves by a worker's claim once due, or by cancel.
  RETRYING,
  // Terminal: cancelled before it ran, or stopped while running.
  CANCELLED,
};

inline constexpr std::array<TaskStatus, 6> kAllStatuses = {
    TaskStatus::PENDING, TaskStatus::RUNNING,  TaskStatus::SUCCESS,
    TaskStatus::FAILED,  TaskStatus::RETRYING, TaskStatus::CANCELLED};

// The wire name: "PENDING", "RUNNING", ...
std::string_view to_string(TaskStatus s);

// True for SUCCESS, FAILED and CANCELLED.
bool is_terminal(TaskStatus s);

using Value = nlohmann::json;

// When a task runs: not before `eta` (none = as soon as possible), and again
// after each run, `interval` after it finished or at the next time the `cron`
// expression names (in `timezone`, an IANA name; none = UTC). At most one of
// interval and cron.
struct Schedule {
  std::optional<Timestamp> eta{};
  std::optional<Duration> interval{};
  std::optional<std::string> cron{};      // "*/5 * * * *", "@daily", ...
  std::optional<std::string> timezone{};  // "Europe/Berlin"; only with cron

  bool repeats() const { return interval || cron; }
  friend bool operator==(const Schedule&, const Schedule&) = default;
};

// Why an attempt failed. Exactly the six fields of the wire format.
struct TaskError {
  std::string error_type{};  // e.g. "std::runtime_error", "TimeoutError", "UnknownTask"
  std::string message{};
  Timestamp timestamp{};
  std::optional<std::string> traceback{};
  int retry_count = 0;  // retries of this run attempted before this failure
  bool is_retryable = true;

  // An error of the given type and message, at `when`.
  static TaskError make(std::string type, std::string message, Timestamp when,
                        bool retryable = true);
  // Records the exception's dynamic type name (demangled) and its what();
  // a non-std exception is "unknown exception".
  static TaskError from_exception(std::exception_ptr e, Timestamp when, bool retryable = true);

  friend bool operator==(const TaskError&, const TaskError&) = default;
};

// One unit of work: which handler (func_path), with what arguments, when, and
// where it stands.
struct Task {
  std::string id{};         // UUIDv7 text, so id order is creation order
  std::string func_path{};  // the name the handler is registered under
  Value args = Value::array();
  Value kwargs = Value::object();
  TaskStatus status = TaskStatus::PENDING;
  Schedule schedule{};
  int max_retries = 0;                // retries after the first attempt
  std::optional<Duration> timeout{};  // per attempt; none = no limit
  int attempts = 0;                   // attempts started, over all runs of a repeating task
  Timestamp created_at{};
  Timestamp updated_at{};
  std::optional<Timestamp> last_attempt_at{};
  // The last attempt's failure, if any; cleared when a repeating task is
  // re-armed, so error->retry_count counts the retries of the current run.
  std::optional<TaskError> error{};
  std::string queue = "default";  // which workers take it (WorkerOptions::queues)
  int priority = 0;               // lower runs first; then eta, then enqueue order
  // While a task with this key is in one of `unique_statuses` (a bit per
  // TaskStatus), no second one is enqueued. The key includes the period's
  // window when TaskOptions::unique_period was given.
  std::optional<std::string> unique_key{};
  std::uint8_t unique_statuses = 0;
  std::optional<std::string> retry_of{};  // the task this one was created to retry

  // Engine state, kept by the stores.
  std::optional<Timestamp> lease_expires_at{};  // when the claim's lease runs out (RUNNING)
  bool cancel_requested = false;                // RUNNING, asked to stop: it ends CANCELLED

  friend bool operator==(const Task&, const Task&) = default;
};

// The recorded outcome of a task (of its latest run, for a repeating task).
struct TaskResult {
  std::string task_id{};
  TaskStatus status = TaskStatus::SUCCESS;
  std::optional<Value> result{};     // the handler's value (null for void); absent on failure
  std::optional<TaskError> error{};  // set when FAILED or CANCELLED
  Timestamp finished_at{};
  int attempts = 0;
  std::optional<Timestamp> last_attempt_at{};

  // The result value converted to T. Throws SerializationError when there is
  // no value or it does not convert.
  template <class T>
  T value() const {
    if (!result) {
      throw SerializationError("task " + task_id + " has no result value");
    }
    try {
      return result->template get<T>();
    } catch (const nlohmann::json::exception& e) {
      throw SerializationError("result of task " + task_id + " does not convert: " + e.what());
    }
  }

  friend bool operator==(const TaskResult&, const TaskResult&) = default;
};

// What a caller may choose when creating a task; the rest comes from Settings.
struct TaskOptions {
  Value kwargs = Value::object();
  std::optional<Timestamp> eta{};
  std::optional<Duration> delay{};  // eta = now + delay; not with eta
  std::optional<Duration> interval{};
  std::optional<std::string> cron{};      // see Schedule; not with interval
  std::optional<std::string> timezone{};  // for cron
  std::optional<int> max_retries{};       // default: Settings::default_max_retries
  std::optional<Duration> timeout{};      // default: Settings::default_timeout
  std::string queue = "default";
  int priority = 0;
  // Unique tasks: see Task::unique_key. The statuses must include PENDING,
  // RETRYING and RUNNING (the default) and may add finished ones; with a
  // period, the key holds for one window of that length (counted from the
  // Unix epoch), so a second enqueue in the same window meets the first.
  std::optional<std::string> unique_key{};
  std::vector<TaskStatus> unique_statuses{TaskStatus::PENDING, TaskStatus::RETRYING,
                                          TaskStatus::RUNNING};
  std::optional<Duration> unique_period{};
};

// What an enqueue did: the new task's id, or that of the live task holding
// the same unique key (then `created` is false and nothing was added).
struct Enqueued {
  std::string id{};
  bool created = true;

  friend bool operator==(const Enqueued&, const Enqueued&) = default;
};

// A TaskDef applied to arguments: the handler's name and the encoded
// positional arguments, ready for enqueue.
struct TaskCall {
  std::string func_path;
  Value args;
};

// TaskDef: a task's name together with its signature, so that enqueueing and
// registering it are checked by the compiler.
//
//   inline const omniq::TaskDef<int(int, int)> add{"math.add"};
//   registry.add(add, [](int a, int b) { return a + b; });
//   std::string id = oq.enqueue(add(2, 3));  // add("x") does not compile; add(2, 3) runs nothing
//   oq.enqueue(add(4, 5), {.delay = 10s});
//   int sum = oq.get_result(id, {.wait = true})->value<int>();
template <class Signature>
class TaskDef;

template <class R, class... Args>
class TaskDef<R(Args...)> {
 public:
  explicit TaskDef(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }

  TaskCall operator()(const Args&... args) const { return {name_, Value::array({Value(args)...})}; }

 private:
  std::string name_;
};

}  // namespace omniq
