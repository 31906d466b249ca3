// AsyncOmniQ: the async façade. Enqueue tasks, read results, cancel, list, and
// start worker pools, as C++20 coroutines on asio.
//
//   omniq::AsyncOmniQ oq = omniq::AsyncOmniQ::from_env();
//   std::string id = co_await oq.enqueue("math.add", {2, 3});
//   auto result = co_await oq.get_result(id, {.wait = true, .timeout = 5s});
//
// Thread-safety: an AsyncOmniQ may be used from any executor and thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include "omniq/async_task_queue.hpp"
#include "omniq/async_worker_pool.hpp"
#include "omniq/registry.hpp"
#include "omniq/task_def.hpp"

namespace omniq {

struct ResultOptions {
  bool wait = false;  // wait for the result instead of returning nullopt at once
  // How long to wait; none = for ever. At the timeout get_result throws TimeoutError.
  std::optional<Duration> timeout{};
};

class AsyncOmniQ {
 public:
  // Builds the store that settings name (make_storage). Throws ConfigError, StorageError.
  explicit AsyncOmniQ(Settings settings = Settings{},
                      std::shared_ptr<Clock> clock = system_clock());
  // Uses the given store.
  explicit AsyncOmniQ(std::shared_ptr<Storage> storage, Settings settings = Settings{},
                      std::shared_ptr<Clock> clock = system_clock());
  // Settings::from_env() and the store they name.
  static AsyncOmniQ from_env();

  // Enqueues func_path(args...) and returns the task id. Throws ValidationError
  // (bad task, too large), StorageError. (Overloads, not default arguments:
  // g++ 12 destroys a defaulted class argument twice inside co_await.)
  asio::awaitable<std::string> enqueue(std::string func_path, Value args, TaskOptions options);
  asio::awaitable<std::string> enqueue(std::string func_path, Value args);
  asio::awaitable<std::string> enqueue(std::string func_path);
  // The same for a TaskDef: the arguments are checked against its signature at
  // compile time.
  template <class R, class... A>
  asio::awaitable<std::string> enqueue(const TaskDef<R(A...)>& def,
                                       std::type_identity_t<A>... args) {
    return enqueue(def.name(), TaskDef<R(A...)>::encode_args(args...));
  }
  template <class R, class... A>
  asio::awaitable<std::string> enqueue_with(const TaskDef<R(A...)>& def, TaskOptions options,
                                            std::type_identity_t<A>... args) {
    return enqueue(def.name(), TaskDef<R(A...)>::encode_args(args...), std::move(options));
  }
  // Enqueues several tasks in one durable write, all or none.
  asio::awaitable<std::vector<std::string>> enqueue_many(std::vector<Task> tasks);
  // A task for enqueue_many, with defaults from the settings.
  Task make_task(std::string func_path, Value args, TaskOptions options = {}) const;

  // Returns the task's result, or nullopt if it has none yet. With wait, waits
  // (polling no faster than every 10 ms, and woken at once by a worker in this
  // process) and throws TimeoutError when options.timeout passes first.
  asio::awaitable<std::optional<TaskResult>> get_result(std::string id, ResultOptions options);
  asio::awaitable<std::optional<TaskResult>> get_result(std::string id);
  // Cancels a waiting task, or asks a running one to stop. Throws NotFoundError.
  asio::awaitable<CancelResult> cancel(std::string id);
  asio::awaitable<std::optional<Task>> get_task(std::string id);
  asio::awaitable<std::vector<Task>> list_tasks(TaskFilter filter);
  asio::awaitable<QueueStats> stats();

  // A worker pool on `executor` for this queue (not started).
  std::unique_ptr<AsyncWorkerPool> worker(Registry registry, WorkerOptions options,
                                          asio::any_io_executor executor) const;

  AsyncTaskQueue& queue() const { return *queue_; }
  const std::shared_ptr<AsyncTaskQueue>& shared_queue() const { return queue_; }
  const Settings& settings() const { return queue_->settings(); }

 private:
  std::shared_ptr<AsyncTaskQueue> queue_;
};

}  // namespace omniq
