// AsyncTaskQueue: the one owner of the task lifecycle policy.
//
// It validates and fills in new tasks, hands due tasks to workers, and turns
// each attempt's outcome into the task's next state: SUCCESS with a stored
// result (an interval task is re-armed PENDING at finish + interval); a
// failure is retried after min(base * 2^(n-1), cap) +/-25% jitter while
// retries remain (RETRYING), else the task is FAILED with its TaskError
// stored. Nothing else in omniq decides retries. It also cancels tasks,
// recovers the tasks of dead workers, and purges results past their TTL.
//
// In-process listeners (worker pools, result waiters) are told at once when a
// task is enqueued, finished, or asked to cancel, so nobody in this process
// waits for a poll.
//
// Thread-safety: all methods may be called from any thread or executor.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <asio/awaitable.hpp>

#include "omniq/async_storage.hpp"
#include "omniq/serializer.hpp"
#include "omniq/settings.hpp"

namespace omniq {

class AsyncTaskQueue {
 public:
  AsyncTaskQueue(std::shared_ptr<AsyncStorage> storage, Settings settings,
                 std::shared_ptr<Clock> clock = system_clock());

  const Settings& settings() const { return settings_; }
  Clock& clock() const { return *clock_; }
  AsyncStorage& storage() const { return *storage_; }

  // Creates, checks and stores a task; returns its id. Throws ValidationError
  // for a bad task or one whose encoding exceeds settings().max_task_bytes,
  // StorageError when it cannot be stored.
  asio::awaitable<std::string> enqueue(std::string func_path, Value args, TaskOptions options);
  asio::awaitable<std::string> enqueue(Task task);
  // Stores several tasks, all or none.
  asio::awaitable<std::vector<std::string>> enqueue_many(std::vector<Task> tasks);
  // The same two for blocking code, run on the calling thread (which may
  // apply a group commit for concurrent callers itself). REQUIRES: not called
  // on an event loop thread.
  std::string enqueue_blocking(Task task);
  std::vector<std::string> enqueue_many_blocking(std::vector<Task> tasks);

  // Claims up to max due tasks with a lease of `lease`.
  asio::awaitable<std::vector<Task>> dequeue(std::size_t max, Duration lease);

  // Record the outcome of a claimed attempt. Each returns false when the claim
  // was no longer current (its lease was lost), in which case nothing changed.
  // complete_task throws SerializationError for a result nested deeper than
  // kMaxValueDepth (the worker then fails the task).
  asio::awaitable<bool> complete_task(const Task& claimed, Value result);
  asio::awaitable<bool> fail_task(const Task& claimed, TaskError error);
  asio::awaitable<bool> cancel_running_task(const Task& claimed, std::string reason);
  // Records an already decided outcome (see the *_outcome functions).
  asio::awaitable<bool> record(Outcome outcome);

  // Cancels a task: a waiting one at once; a running one is asked to stop
  // (its worker, in this or another process, ends it CANCELLED). Throws
  // NotFoundError for an unknown id, ValidationError for a malformed one.
  asio::awaitable<CancelResult> cancel(std::string id);

  asio::awaitable<std::optional<Task>> get_task(std::string id);
  asio::awaitable<std::optional<TaskResult>> get_result(std::string id);
  asio::awaitable<std::vector<Task>> list_tasks(TaskFilter filter);
  asio::awaitable<QueueStats> stats();
  // Deletes results older than settings().result_ttl. Returns how many.
  asio::awaitable<std::size_t> purge_results();
  // Gives back tasks whose worker died. Returns how many.
  asio::awaitable<std::size_t> recover_expired();

  // The policy, as pure decisions (used by the methods above; public for tests).
  Outcome success_outcome(const Task& claimed, Value result, Timestamp now) const;
  Outcome failure_outcome(const Task& claimed, TaskError error, Timestamp now) const;
  Outcome cancelled_outcome(const Task& claimed, std::string reason, Timestamp now) const;
  // The backoff before retry n (n >= 1) without jitter: min(base * 2^(n-1), cap).
  Duration retry_delay(int n) const;
  // retry_delay(n) with +/-25% jitter, still capped.
  Duration jittered_retry_delay(int n) const;

  // In-process notifications. Listeners run on the thread that caused the
  // event and must be quick (post work elsewhere). Returns an id for unlisten.
  enum class Event { enqueued, finished, cancel_requested };
  using Listener = std::function<void(Event, const std::string& task_id)>;
  std::size_t listen(Listener listener);
  void unlisten(std::size_t id);

 private:
  void notify(Event e, const std::string& id);
  void check_size(const Task& t) const;

  std::shared_ptr<AsyncStorage> storage_;
  Settings settings_;
  std::shared_ptr<Clock> clock_;

  mutable std::mutex listeners_mu_;
  std::size_t next_listener_ = 1;
  std::vector<std::pair<std::size_t, Listener>> listeners_;
};

}  // namespace omniq
