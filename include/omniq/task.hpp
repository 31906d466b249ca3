// The task models: Task, Schedule, TaskResult, TaskError, and the helpers that
// create, validate and move tasks between states.
//
// Argument and result values are omniq::Value (nlohmann::json): make your own
// types transportable with the usual to_json/from_json. The models are plain
// values; they are not synchronised and are copied between threads.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "omniq/error.hpp"
#include "omniq/task_status.hpp"
#include "omniq/time.hpp"

namespace omniq {

using Value = nlohmann::json;

struct Settings;

// Deepest nesting of arrays/objects accepted in decoded bytes.
inline constexpr int kMaxDepth = 256;
// Deepest nesting accepted in arguments and results: a stored record (a task
// or result file) holds them one level down.
inline constexpr int kMaxValueDepth = kMaxDepth - 1;

// True when `v` nests arrays/objects deeper than max_depth (checked without recursion).
bool nests_deeper_than(const Value& v, int max_depth);

// When a task runs: not before `eta` (none = as soon as possible), and again
// every `interval` after each successful run (none = once).
struct Schedule {
  std::optional<Timestamp> eta{};
  std::optional<Duration> interval{};

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

  // Records the exception's dynamic type name (demangled) and its what().
  static TaskError from_exception(const std::exception& e, Timestamp when, int retry_count = 0,
                                  bool is_retryable = true);
  // The same for an exception_ptr; a non-std exception is "unknown exception".
  static TaskError from_exception(std::exception_ptr e, Timestamp when, int retry_count = 0,
                                  bool is_retryable = true);

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
  int attempts = 0;                   // attempts started, over all runs of an interval task
  Timestamp created_at{};
  Timestamp updated_at{};
  std::optional<Timestamp> last_attempt_at{};
  // The last attempt's failure, if any; cleared when an interval task is
  // re-armed, so error->retry_count counts the retries of the current run.
  std::optional<TaskError> error{};
  // Engine state: when the current claim's lease runs out (RUNNING only).
  std::optional<Timestamp> lease_expires_at{};

  friend bool operator==(const Task&, const Task&) = default;
};

// The recorded outcome of a task (of its latest run, for an interval task).
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
  T value() const;

  friend bool operator==(const TaskResult&, const TaskResult&) = default;
};

// What a caller may choose when creating a task; the rest comes from Settings.
struct TaskOptions {
  Value kwargs = Value::object();
  std::optional<Timestamp> eta{};
  std::optional<Duration> delay{};  // eta = now + delay; not with eta
  std::optional<Duration> interval{};
  std::optional<int> max_retries{};   // default: Settings::default_max_retries
  std::optional<Duration> timeout{};  // default: Settings::default_timeout
};

// Returns a new time-ordered UUIDv7 (RFC 9562) for an instant, as lower-case text.
std::string new_task_id(Timestamp now);

// True when `id` is 1-64 characters of [A-Za-z0-9_-].
bool is_valid_id(std::string_view id);

// Throws ValidationError (showing the id, escaped and cut short) unless is_valid_id(id).
// Every id that comes from outside passes through here before it reaches a path or query.
void validate_id(std::string_view id);

// Creates a PENDING task with a new id, created/updated = now, defaults from
// settings. Throws ValidationError for what validate_task rejects.
Task make_task(std::string func_path, Value args, const TaskOptions& options,
               const Settings& settings, Timestamp now);

// Throws ValidationError on: invalid id, empty, over-long or control-character
// func_path, negative max_retries, non-positive interval or timeout, args not
// an array, kwargs not an object, arguments nested deeper than kMaxValueDepth.
void validate_task(const Task& task);

// Moves `task` to `to` at time `now`: updates updated_at; on ->RUNNING also
// increments attempts and sets last_attempt_at. Same-status moves only update
// updated_at. Throws InvalidTransitionError naming both states otherwise.
void transition(Task& task, TaskStatus to, Timestamp now);

template <class T>
T TaskResult::value() const {
  if (!result) {
    throw SerializationError("task " + task_id + " has no result value");
  }
  try {
    return result->template get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw SerializationError("result of task " + task_id + " does not convert: " + e.what());
  }
}

}  // namespace omniq
