// Storage: the contract every backend (memory, file, SQLite, PostgreSQL)
// fulfils, and make_storage, which builds the one that Settings name. Users
// who write their own backend implement this interface and pass it to
// OmniQ/AsyncOmniQ; the shared conformance suite (tests/storage/) tells
// whether it is right.
//
// A store is synchronous and thread-safe: any method may be called from any
// thread, and several processes may share one file store, SQLite file or
// PostgreSQL database.
//
// Claims. A task is due when it is PENDING or RETRYING, its eta is at or
// before `now` (no eta = due) and its queue is not paused. A claim takes due
// tasks of one queue atomically, lowest priority first, then earliest eta
// (a task without one counts from its created_at), then enqueue order, and
// marks each RUNNING with attempts+1, last_attempt_at = now and a lease that
// runs out at now + lease. Across threads and processes no task is claimed
// twice while its lease is live. A claim is named by (task id, attempt).
//
// Outcomes. The store applies what the engine decided; it never chooses
// between retrying and failing. An outcome is applied only if its claim is
// current (the task is RUNNING with that attempt), and only a CANCELLED
// outcome once a cancel was requested: the engine then records the cancel.
//
// Nothing acknowledged is lost: once write() returns, a crash of any process
// does not lose what it wrote (and, with Durability::full, neither does a
// power loss).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "omniq/settings.hpp"
#include "omniq/task.hpp"

namespace omniq {

// The engine's decision about one claimed attempt.
struct Outcome {
  std::string task_id{};
  int attempt = 0;  // the claim being finished: Task::attempts as claimed
  // SUCCESS, FAILED or CANCELLED (terminal), RETRYING or PENDING (waiting
  // again: `next_eta` required). The task's error becomes `error` (none
  // clears it); `result`, when set, is stored as the task's result.
  TaskStatus status = TaskStatus::SUCCESS;
  std::optional<Timestamp> next_eta{};
  std::optional<TaskError> error{};
  std::optional<TaskResult> result{};
  Timestamp at{};  // when it was decided (updated_at)
  // A lost worker's claim: applied only if its lease ran out before `at`.
  bool lease_expired = false;
};

// What became of an outcome or a lease renewal.
enum class Applied : std::uint8_t {
  yes,
  not_current,       // the claim is no longer current: nothing changed
  cancel_requested,  // current, but asked to cancel: only CANCELLED is applied
};

// A claim held by a worker.
struct Claim {
  std::string task_id{};
  int attempt = 0;
};

// Claim up to `n` due tasks of `queue`.
struct QueueClaim {
  std::string queue = "default";
  std::size_t n = 0;
};

// One durable write: new tasks, then outcomes, then claims.
struct WriteBatch {
  std::vector<Task> enqueue{};  // REQUIRES: each is valid, as OmniQ::make_task makes them
  std::vector<Outcome> outcomes{};
  std::vector<QueueClaim> claims{};  // at most one entry per queue
  Timestamp now{};                   // for the claims
  Duration lease{};
};

struct WriteResult {
  std::vector<Enqueued> enqueued{};  // per new task
  std::vector<Applied> applied{};    // per outcome
  std::vector<Task> claimed{};       // per claim entry in order, each in claim order
};

// What list_tasks returns: tasks matching every field that is set, in
// enqueue order (newest first if asked).
struct TaskFilter {
  std::optional<TaskStatus> status{};
  std::optional<std::string> func_path{};
  std::optional<std::string> queue{};
  std::size_t limit = 100;
  std::size_t offset = 0;
  bool newest_first = false;
};

using StatusCounts = std::array<std::size_t, kAllStatuses.size()>;

struct QueueStats {
  StatusCounts counts{};                         // all queues
  std::map<std::string, StatusCounts> queues{};  // per queue that holds tasks
  std::vector<std::string> paused{};             // paused queues, sorted
  // created_at of the oldest PENDING or RETRYING task, if any.
  std::optional<Timestamp> oldest_pending{};

  std::size_t count(TaskStatus s) const { return counts[static_cast<std::size_t>(s)]; }
  std::size_t total() const;
};

// A worker process as it last reported itself (every lease/3 while it runs).
struct WorkerInfo {
  std::string id{};  // unique per pool: "<host>:<pid>:<n>"
  std::string host{};
  std::int64_t pid = 0;
  std::map<std::string, std::size_t> queues{};  // served queues and their concurrency
  Timestamp started_at{};
  Timestamp seen_at{};
};

enum class CancelResult {
  cancelled,         // was PENDING or RETRYING; now CANCELLED with a result recorded
  requested,         // is RUNNING; the worker holding it is asked to stop
  already_finished,  // is SUCCESS, FAILED or CANCELLED; nothing changed
};

// Tells idle workers that another process may have written: a descriptor that
// becomes readable (inotify, a database socket), drained by consume().
struct ChangeWatch {
  virtual ~ChangeWatch() = default;
  virtual int fd() const = 0;
  // Reads what made fd() readable; never blocks. fd() may change after it.
  virtual void consume() = 0;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Applies the batch in one durable step: stores the new tasks (a task whose
  // unique key a live task holds is not added: its Enqueued names that task),
  // applies the outcomes, then claims. All of it, or none of it and throws:
  // StorageError when the store fails, ValidationError for a task id that
  // exists already or a claim entry that names a queue twice.
  virtual WriteResult write(const WriteBatch& batch) = 0;

  // Cancels a waiting task (CANCELLED, with a result holding a "Cancelled"
  // error), or marks a running one cancel_requested. Throws NotFoundError.
  virtual CancelResult cancel(std::string_view id, Timestamp now) = 0;

  // Extends the leases of current claims to `until`. Returns, per claim,
  // whether it is still current and whether a cancel was requested.
  virtual std::vector<Applied> renew_leases(std::span<const Claim> claims, Timestamp until) = 0;

  // Up to `limit` RUNNING tasks whose lease ran out before `now` (their
  // worker died), oldest lease first. The engine records their outcome.
  virtual std::vector<Task> expired(Timestamp now, std::size_t limit) = 0;

  // Returns the task, or nullopt for an unknown id.
  virtual std::optional<Task> get_task(std::string_view id) = 0;
  // Returns the stored result, or nullopt if the task has none (yet).
  virtual std::optional<TaskResult> get_result(std::string_view id) = 0;
  virtual std::vector<Task> list_tasks(const TaskFilter& filter) = 0;
  virtual QueueStats stats() = 0;
  // The earliest due time among waiting tasks, if any.
  virtual std::optional<Timestamp> next_eta() = 0;

  // Deletes results finished before older_than, and finished tasks last
  // updated before it. Returns the number of results deleted.
  virtual std::size_t purge_results(Timestamp older_than) = 0;

  // Stops (or resumes) claims from a queue, for every process using the store.
  virtual void set_paused(std::string_view queue, bool paused) = 0;

  // For dashboards: results finished in [since, until), counted per minute
  // (element 0 is the minute starting at `since`).
  virtual std::vector<std::size_t> finished_per_minute(Timestamp since, Timestamp until) = 0;
  // Records a worker's heartbeat, and lists the workers seen at or after `since`.
  virtual void record_worker(const WorkerInfo& worker) = 0;
  virtual std::vector<WorkerInfo> workers(Timestamp since) = 0;

  // A watch for other processes' writes, or nullptr when there is none (idle
  // workers then poll).
  virtual std::unique_ptr<ChangeWatch> watch() { return nullptr; }

  // Releases files and connections; further calls throw StorageError.
  virtual void close() = 0;
};

// Builds the store that settings name (memory, file at base_dir, SQLite or
// PostgreSQL at database_url) with its durability. Throws ConfigError for
// settings it cannot use, StorageError when the store cannot be opened.
std::shared_ptr<Storage> make_storage(const Settings& settings);

// The model <-> Value mapping every store and the command line use, for
// backends of your own: TaskError is exactly its six fields, instants are
// ISO-8601 text, empty optional fields are left out. The from_value functions
// throw SerializationError.
Value to_value(const TaskError& e);
Value to_value(const Schedule& s);
Value to_value(const Task& t);
Value to_value(const TaskResult& r);
TaskError task_error_from_value(const Value& v);
Schedule schedule_from_value(const Value& v);
Task task_from_value(const Value& v);
TaskResult task_result_from_value(const Value& v);

}  // namespace omniq
