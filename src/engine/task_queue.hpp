// TaskQueue: the one path between the façades and worker pools and the
// store. Internal to the library.
//
//   façade / pool -> TaskQueue -> (policy) -> Committer -> Storage::write
//
// It validates and fills in new tasks, turns what happened to each claimed
// attempt into an outcome through the policy (engine/policy.hpp), and sends
// enqueues, outcomes and claims through the committer, so that writes made
// together share one durable commit. An outcome the store refuses because a
// cancel was requested is decided again as a cancel. It also cancels,
// recovers the tasks of dead workers (their outcome decided by the same
// policy), purges results past their TTL, and tells in-process listeners
// (worker pools, result waiters) at once when a task is enqueued, finished
// or asked to cancel.
//
// Each operation has a blocking form, run on the calling thread, and writes
// have a callback form for coroutines (the callback runs on the thread that
// wrote: the committer's, or a blocking caller's); other blocking calls of
// coroutines run on the storage threads.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/committer.hpp"
#include "engine/policy.hpp"
#include "omniq/settings.hpp"
#include "omniq/storage.hpp"

namespace omniq::detail {

// How an attempt ended, as recorded: AttemptReport::Result's values in its
// order, then `released` (given back unstarted: not an attempt).
enum class Verdict { succeeded, retried, failed, cancelled, lost, released };

class TaskQueue {
 public:
  template <class T>
  using Callback = std::function<void(std::exception_ptr, T)>;

  TaskQueue(std::shared_ptr<Storage> storage, Settings settings, std::shared_ptr<Clock> clock);
  ~TaskQueue();  // finishes the jobs posted so far, then joins the storage threads

  const Settings& settings() const { return settings_; }
  Clock& clock() const { return *clock_; }
  Storage& storage() const { return *storage_; }
  const std::shared_ptr<Storage>& shared_storage() const { return storage_; }

  Task make_task(std::string func_path, Value args, const TaskOptions& options) const;

  // Checks and stores tasks (all or none). Throws ValidationError for a bad
  // or too large task, StorageError.
  std::vector<Enqueued> enqueue(std::vector<Task> tasks);
  void enqueue(std::vector<Task> tasks, Callback<std::vector<Enqueued>> done);

  // A finished attempt and what happened to it.
  struct Finished {
    Task claimed;
    Happening what;
  };
  struct Recorded {
    std::vector<Verdict> verdicts;  // per finished attempt
    std::vector<Task> claimed;
  };
  // Records finished attempts and claims for free slots, in one write.
  Recorded record(std::vector<Finished> finished, std::vector<QueueClaim> claims, Duration lease);
  void record(std::vector<Finished> finished, std::vector<QueueClaim> claims, Duration lease,
              Callback<Recorded> done);

  // Extends the leases of the pool's claims (see Storage::renew_leases).
  std::vector<Applied> renew(std::span<const Claim> claims, Duration lease);
  // Records the tasks of dead workers as lost. Returns how many.
  std::size_t recover_expired();
  // Deletes results older than settings().result_ttl. Returns how many.
  std::size_t purge_results();

  CancelResult cancel(const std::string& id);
  std::string retry(const std::string& id);
  std::optional<Task> get_task(const std::string& id);
  std::optional<TaskResult> get_result(const std::string& id);
  std::vector<Task> list_tasks(const TaskFilter& filter);
  QueueStats stats();
  void set_paused(const std::string& queue, bool paused);

  // The storage threads, for blocking calls made by coroutines (on_storage.hpp).
  asio::thread_pool& storage_threads() { return *threads_; }

  // In-process notifications, called on the thread that caused the event,
  // outside any lock; a listener must be quick. Returns an id for unlisten.
  enum class Event { enqueued, finished, cancel_requested };
  using Listener = std::function<void(Event, const std::string& task_id)>;
  std::size_t listen(Listener listener);
  void unlisten(std::size_t id);

 private:
  struct RecordState;
  void check(const Task& t) const;
  WriteBatch record_batch(RecordState& state, std::vector<Finished> finished,
                          std::vector<QueueClaim> claims, Duration lease);
  // Returns the write of the outcomes decided again as cancels (none: done).
  WriteBatch settle(RecordState& state, WriteResult r);
  Recorded finish(RecordState& state);
  void notify(Event e, const std::string& id);
  // Logs the tasks created and tells listeners.
  void log_enqueued(const std::vector<Enqueued>& enqueued, const std::vector<std::string>& names);

  std::shared_ptr<Storage> storage_;
  Settings settings_;
  std::shared_ptr<Clock> clock_;
  std::unique_ptr<asio::thread_pool> threads_;  // storage threads
  Committer committer_;

  std::mutex listeners_mu_;
  std::size_t next_listener_ = 1;
  std::vector<std::pair<std::size_t, Listener>> listeners_;
};

}  // namespace omniq::detail
