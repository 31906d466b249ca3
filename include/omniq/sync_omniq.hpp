// OmniQ: the blocking façade. Enqueue tasks, read results, cancel, list,
// pause queues and start worker pools; every call returns when it is done.
//
//   omniq::OmniQ oq = omniq::OmniQ::from_env();
//   std::string id = oq.enqueue("math.add", {2, 3});
//   omniq::WorkerPool pool = oq.worker(registry);
//   pool.start();
//   int sum = oq.get_result(id, {.wait = true, .timeout = 5s})->value<int>();
//
// AsyncOmniQ (omniq/async.hpp) has the same methods as coroutines; the
// two may share one queue (async()).
//
// Thread-safety: an OmniQ may be used from several threads at once; writes
// made together are group-committed (one durable write for all of them).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "omniq/storage.hpp"
#include "omniq/task_def.hpp"
#include "omniq/worker_pool.hpp"

namespace omniq {

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
