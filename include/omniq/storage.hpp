// Storage: the one contract every backend (memory, file, SQLite) fulfils.
//
// A store keeps tasks and their results and hands due tasks to workers. It is
// synchronous and thread-safe: any method may be called from any thread, and
// several processes may open the same file store or SQLite file at once.
//
// Claims. A task is due when it is PENDING or RETRYING and its eta is at or
// before `now` (no eta = due). dequeue_many claims due tasks atomically, the
// earliest eta first (a task without one counts from its created_at) and then
// in enqueue order, marking each RUNNING with
// attempts+1, last_attempt_at = now and a lease that runs out at now + lease.
// Across threads and processes no task is claimed twice while its lease is
// live. A claim is identified by (task id, attempt number); recording an
// outcome for a claim that is no longer current (its lease expired, the task
// was recovered and perhaps claimed again) changes nothing and is reported.
//
// Nothing acknowledged is lost: once enqueue returns, a crash of any process
// does not lose the task (and, with Durability::full, neither does power loss).
//
// Policy (retries, backoff, interval re-arm) is not decided here: the queue
// decides and hands the store an Outcome to apply.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "omniq/settings.hpp"
#include "omniq/task.hpp"

namespace omniq {

// What list_tasks returns: tasks matching every field that is set, oldest first.
struct TaskFilter {
  std::optional<TaskStatus> status{};
  std::optional<std::string> func_path{};
  std::size_t limit = 100;
  std::size_t offset = 0;
};

// Counts per status.
struct QueueStats {
  std::array<std::size_t, kAllStatuses.size()> counts{};
  // created_at of the oldest PENDING or RETRYING task, if any.
  std::optional<Timestamp> oldest_pending{};

  std::size_t count(TaskStatus s) const { return counts[static_cast<std::size_t>(s)]; }
  std::size_t total() const;
};

// The queue's decision about one claimed attempt, applied atomically.
struct Outcome {
  std::string task_id{};
  int attempt = 0;  // the claim being finished: Task::attempts as claimed
  // SUCCESS, FAILED or CANCELLED (terminal; `result` is stored), RETRYING
  // (`next_eta` required; `error` recorded on the task), or PENDING (interval
  // re-arm: `next_eta` required, the task's error cleared, `result` stored).
  TaskStatus status = TaskStatus::SUCCESS;
  std::optional<Timestamp> next_eta{};
  std::optional<TaskResult> result{};
  std::optional<TaskError> error{};
  Timestamp at{};  // when the outcome was decided (updated_at)
};

// A claim held by a worker. Task::attempts only grows (a released, never
// started claim excepted), so (id, attempt) names one claim for good.
struct Claim {
  std::string task_id{};
  int attempt = 0;
};

// What finish_and_dequeue did: finish_many's flags and dequeue_many's tasks.
struct FinishAndClaim {
  std::vector<bool> applied{};
  std::vector<Task> claimed{};
  // Set when the outcomes were applied but the claim then failed (nothing
  // was claimed); a failure before the outcomes were applied is thrown.
  std::exception_ptr claim_error{};
};

enum class CancelResult {
  cancelled,         // was PENDING or RETRYING; now CANCELLED with a result recorded
  requested,         // is RUNNING; the worker holding it is asked to stop
  already_finished,  // is SUCCESS, FAILED or CANCELLED; nothing changed
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Stores a new task. REQUIRES: validate_task(task) passes (the queue does it).
  // Returns its id. Throws StorageError if it cannot be stored durably, or
  // ValidationError if a task with that id exists already.
  virtual std::string enqueue(const Task& task) = 0;
  // Stores several tasks, all or none. Returns their ids in order.
  virtual std::vector<std::string> enqueue_many(std::span<const Task> tasks) = 0;

  // Claims the next due task (see above), or returns nullopt when none is due;
  // an empty queue writes nothing.
  std::optional<Task> dequeue(Timestamp now, Duration lease);
  // Claims up to n due tasks in one step, in claim order.
  virtual std::vector<Task> dequeue_many(Timestamp now, std::size_t n, Duration lease) = 0;

  // Claims the task `id` whether due or not (PENDING or RETRYING -> RUNNING) and
  // returns it; on a RUNNING task renews nothing and returns it unchanged. Throws
  // NotFoundError, or InvalidTransitionError for a finished task.
  virtual Task mark_running(std::string_view id, Timestamp now, Duration lease) = 0;

  // Records success for the claim (id, result.attempts): task SUCCESS, result
  // stored. Returns false, changing nothing, if that claim is no longer current.
  bool mark_done(std::string_view id, const TaskResult& result);
  // Records a failure for the claim (id, attempt): RETRYING (due again at once
  // unless rescheduled) when will_retry, else FAILED with a result holding the
  // error. Returns false, changing nothing, if that claim is no longer current.
  bool mark_failed(std::string_view id, const TaskError& error, bool will_retry, int attempt);
  // Applies outcomes, each only if its claim is current, in one durable step.
  // Returns, per outcome, whether it was applied.
  virtual std::vector<bool> finish_many(std::span<const Outcome> outcomes) = 0;
  // Applies outcomes as finish_many does, then claims up to n due tasks as
  // dequeue_many does, in one durable step where the store can: a worker that
  // records its finished attempts and claims its next tasks pays for one
  // commit instead of two. Throws when nothing was applied; a claim that fails
  // after the outcomes were applied is reported in claim_error. The default
  // calls finish_many, then dequeue_many.
  virtual FinishAndClaim finish_and_dequeue(std::span<const Outcome> outcomes, Timestamp now,
                                            std::size_t n, Duration lease);

  // Sets the eta of a PENDING or RETRYING task; it is not due before new_eta.
  // Throws NotFoundError, or InvalidTransitionError if it is not waiting.
  virtual void reschedule(std::string_view id, Timestamp new_eta) = 0;

  // Cancels a waiting task, or flags a running one (see CancelResult). Throws
  // NotFoundError for an unknown id.
  virtual CancelResult cancel(std::string_view id, Timestamp now) = 0;

  // Extends the leases of claims still current to `until`. Returns the claims
  // that must stop: lost (no longer current) or asked to cancel.
  virtual std::vector<Claim> renew_leases(std::span<const Claim> claims, Timestamp until) = 0;
  // Gives claimed tasks back unstarted: RUNNING -> PENDING (RETRYING if a failure
  // is recorded), attempts - 1, eta unchanged. Claims no longer current are skipped.
  virtual void release(std::span<const Claim> claims, Timestamp now) = 0;

  // Returns the task, or nullopt for an unknown id.
  virtual std::optional<Task> get_task(std::string_view id) = 0;
  // Returns the stored result, or nullopt if the task has none (yet).
  virtual std::optional<TaskResult> get_result(std::string_view id) = 0;
  virtual std::vector<Task> list_tasks(const TaskFilter& filter) = 0;
  virtual QueueStats stats() = 0;
  // The earliest eta among waiting tasks (for sleeping until it), if any.
  virtual std::optional<Timestamp> next_eta() = 0;

  // Deletes results finished before older_than, and finished tasks last
  // updated before it. Returns the number of results deleted.
  virtual std::size_t purge_results(Timestamp older_than) = 0;
  // Gives back RUNNING tasks whose lease ran out before `now` (their worker
  // died): RETRYING, due now, if retries remain, else FAILED with a "WorkerLost"
  // error. Returns how many were recovered.
  virtual std::size_t recover_expired(Timestamp now) = 0;

  // A number that changes when this or another process may have written new
  // work; cheap enough to call every millisecond.
  virtual std::uint64_t change_counter() = 0;

  // Releases files and connections; further calls throw StorageError.
  virtual void close() = 0;
};

// Builds the store that settings name (memory, file at base_dir, SQLite at
// database_url) with its durability. Throws ConfigError for settings it cannot
// use, StorageError when the store cannot be opened.
std::shared_ptr<Storage> make_storage(const Settings& settings);

}  // namespace omniq
