// omniq: an embeddable background task queue for C++20. This header is the
// blocking API (no Asio needed): OmniQ, WorkerPool, Registry, TaskDef, the
// models, errors, Settings and Storage. For coroutines include <omniq/async.hpp>.
//
// OmniQ: the blocking façade. Enqueue tasks, read results, cancel, list,
// pause queues and start worker pools; every call returns when it is done.
//
//   omniq::OmniQ oq = omniq::OmniQ::from_env();
//   std::string id = oq.enqueue("math.add", {2, 3});
//   omniq::WorkerPool pool = oq.worker(registry, {.concurrency = 8});
//   pool.start();   // returns once the workers run
//   int sum = oq.get_result(id, {.wait = true, .timeout = 5s})->value<int>();
//   pool.stop();    // blocks until stopped (the destructor does it too)
//
// AsyncOmniQ (omniq/async.hpp) has the same methods as coroutines; the
// two may share one queue (async()).
//
// Thread-safety: an OmniQ may be used from several threads at once; writes
// made together are group-committed (one durable write for all of them).
//
// WorkerPool: runs due tasks with handlers from a Registry, from blocking
// code. It owns its threads: one event-loop thread (coroutine handlers,
// timers, lease renewal) and one thread per slot for plain handlers.
//
// Claims. A pool claims only for its free slots: at most `concurrency` tasks
// of a queue are RUNNING for it at once (`prefetch` claims that many more
// ahead, see below). A slot that finishes a task records its outcome and
// claims the next in one write. Idle, the pool wakes at once on an enqueue in
// this process, on another process's write through the store's change watch,
// and otherwise every `poll_interval` or when the next eta comes.
//
// Leases. Claimed tasks keep a lease that the pool renews every lease/3, so a
// live worker's task is never recovered; the pool also recovers the tasks of
// dead workers (expired leases) and purges results past their TTL, every
// `maintenance_interval`.
//
// Timeouts, cancels, shutdown. A handler past its task's timeout, or whose
// task is cancelled, has its stop token fired (a coroutine is cancelled); a
// plain handler that does not return within `timeout_grace` is abandoned: its
// attempt is recorded (TimeoutError, CANCELLED), its thread is replaced, and
// its late result is dropped. stop() stops claiming, gives back claimed
// tasks that have not started, lets running tasks finish within
// `shutdown_grace`, then fires their stop tokens; a task still running after
// that keeps a lease that expires, so another worker recovers it.
//
// Thread-safety: start/stop/stats from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "omniq/error.hpp"
#include "omniq/registry.hpp"
#include "omniq/settings.hpp"
#include "omniq/storage.hpp"
#include "omniq/task.hpp"
#include "omniq/time.hpp"

#define OMNIQ_VERSION_MAJOR 0
#define OMNIQ_VERSION_MINOR 1
#define OMNIQ_VERSION_PATCH 0

namespace omniq {

inline constexpr const char* kVersion = "0.1.0";

namespace detail {
class TaskQueue;
class PoolCore;
}  // namespace detail

// One attempt as a worker saw it, for metrics (WorkerOptions::on_attempt).
struct AttemptReport {
  enum class Result { succeeded, retried, failed, cancelled, lost };
  const Task& task;  // as claimed
  Result result;
  Duration run_time;     // from the handler's start to its end
  Duration start_delay;  // from when the task was due to the handler's start
};

struct WorkerOptions {
  // Tasks of the "default" queue running at once; > 0. Ignored when `queues`
  // is set.
  std::size_t concurrency = 4;
  // The queues served, each with its own number of tasks running at once
  // (e.g. {{"default", 8}, {"mail", 2}}): a slow queue never holds another's slots.
  std::map<std::string, std::size_t> queues{};
  // Tasks claimed ahead of free slots, per queue: fewer claims for short
  // tasks, but they count an attempt, show RUNNING and cannot be taken by
  // another worker until started or given back. 0 = claim only for free slots.
  std::size_t prefetch = 0;
  Duration poll_interval = std::chrono::seconds(1);  // idle re-check without a change watch
  Duration lease = std::chrono::seconds(30);         // renewed every lease/3
  Duration shutdown_grace = std::chrono::seconds(10);
  Duration timeout_grace = std::chrono::seconds(1);
  Duration maintenance_interval = std::chrono::seconds(30);  // recovery + purge
  // Abandoned plain handlers still running, at most; past it a stuck thread's
  // slot is not replaced (and an error is logged).
  std::size_t max_abandoned_threads = 64;
  // Called after each attempt's outcome is recorded, on a pool thread; must be quick.
  std::function<void(const AttemptReport&)> on_attempt{};

  // The queues with their concurrency (`queues`, or {"default": concurrency}).
  std::map<std::string, std::size_t> served() const;
  // Throws ConfigError for a zero concurrency, a bad queue name, or a
  // non-positive duration.
  void validate() const;
};

// Counters since start.
struct WorkerStats {
  std::uint64_t claimed = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t retried = 0;  // attempts that failed and will run again
  std::uint64_t failed = 0;   // attempts that failed for good
  std::uint64_t cancelled = 0;
  std::uint64_t lost = 0;  // outcomes refused because the lease was lost
  std::size_t running = 0;
};

class WorkerPool {
 public:
  ~WorkerPool();  // stop(); never throws (an error is logged)
  WorkerPool(WorkerPool&&) noexcept;
  WorkerPool& operator=(WorkerPool&&) noexcept;

  // Starts the workers; returns once they run. Throws std::logic_error if
  // already started.
  void start();
  // Stops gracefully (see above) and returns when stopped. Idempotent.
  void stop();
  bool running() const;
  WorkerStats stats() const;

 private:
  friend class OmniQ;
  WorkerPool(std::shared_ptr<detail::TaskQueue> queue, Registry registry, WorkerOptions options);

  class Impl;
  std::unique_ptr<Impl> impl_;
};

class AsyncOmniQ;

struct ResultOptions {
  bool wait = false;  // wait for the result instead of returning nullopt at once
  // How long to wait; none = for ever. At the timeout get_result throws TimeoutError.
  std::optional<Duration> timeout{};
};

class OmniQ {
 public:
  // Builds the store that settings name (make_storage). Throws ConfigError, StorageError.
  explicit OmniQ(Settings settings = Settings{}, std::shared_ptr<Clock> clock = system_clock());
  // Uses the given store.
  explicit OmniQ(std::shared_ptr<Storage> storage, Settings settings = Settings{},
                 std::shared_ptr<Clock> clock = system_clock());
  // Settings::from_env() and the store they name.
  static OmniQ from_env();
  ~OmniQ();
  OmniQ(OmniQ&&) noexcept;
  OmniQ& operator=(OmniQ&&) noexcept;

  // Enqueues func_path(args...) and returns the task id (for a unique task
  // that exists already, that task's id). Throws ValidationError (bad task,
  // too large), StorageError.
  std::string enqueue(std::string func_path, Value args = Value::array(), TaskOptions options = {});
  // The same, saying whether a task was created (see Enqueued).
  Enqueued submit(std::string func_path, Value args = Value::array(), TaskOptions options = {});
  // Enqueues a TaskDef's call, e.g. enqueue(add(2, 3)): its arguments are
  // checked against the TaskDef's signature at compile time.
  std::string enqueue(TaskCall call, TaskOptions options = {});
  // Enqueues several tasks (from make_task) in one durable write, all or none.
  std::vector<std::string> enqueue_many(std::vector<Task> tasks);
  // A task for enqueue_many, with defaults from the settings.
  Task make_task(std::string func_path, Value args = Value::array(),
                 TaskOptions options = {}) const;

  // Returns the task's result, or nullopt if it has none yet. With wait,
  // waits (woken at once by a worker in this process, polling the store
  // otherwise) and throws TimeoutError when options.timeout passes first.
  std::optional<TaskResult> get_result(const std::string& id, ResultOptions options = {});
  // Cancels a waiting task, or asks a running one to stop. Throws NotFoundError.
  CancelResult cancel(const std::string& id);
  // Enqueues a new task with the function, arguments and options of the
  // FAILED or CANCELLED task `id`, linked to it by retry_of; returns its id.
  // Throws NotFoundError, or InvalidTransitionError for a task in another status.
  std::string retry(const std::string& id);
  std::optional<Task> get_task(const std::string& id);
  std::vector<Task> list_tasks(const TaskFilter& filter = {});
  QueueStats stats();
  // Deletes results older than settings().result_ttl. Returns how many.
  std::size_t purge_results();
  // Stops claims from a queue in every worker using this store, or resumes them.
  void pause_queue(const std::string& queue);
  void resume_queue(const std::string& queue);

  // A worker pool for this queue (not started).
  WorkerPool worker(Registry registry, WorkerOptions options = {}) const;

  const Settings& settings() const;
  // The store, for tools such as the dashboard.
  const std::shared_ptr<Storage>& storage() const;
  // The same queue as coroutines.
  AsyncOmniQ async() const;

 private:
  friend class AsyncOmniQ;
  explicit OmniQ(std::shared_ptr<detail::TaskQueue> queue);
  std::shared_ptr<detail::TaskQueue> queue_;
};

}  // namespace omniq
