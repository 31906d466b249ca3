// AsyncOmniQ: the async façade, the same methods as OmniQ as C++20
// coroutines on Asio.
//
//   omniq::AsyncOmniQ oq = omniq::AsyncOmniQ::from_env();
//   std::string id = co_await oq.enqueue("math.add", {2, 3});
//   auto result = co_await oq.get_result(id, {.wait = true, .timeout = 5s});
//
// Store calls run on the queue's storage threads and resume the awaiting
// coroutine on its own executor; writes made together are group-committed.
// (Overloads, not default arguments: g++ 12 destroys a defaulted class
// argument twice inside co_await.)
//
// Thread-safety: an AsyncOmniQ may be used from any executor and thread.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include "omniq/async_worker_pool.hpp"
#include "omniq/sync_omniq.hpp"

namespace omniq {

class AsyncOmniQ {
 public:
  explicit AsyncOmniQ(Settings settings = Settings{},
                      std::shared_ptr<Clock> clock = system_clock());
  explicit AsyncOmniQ(std::shared_ptr<Storage> storage, Settings settings = Settings{},
                      std::shared_ptr<Clock> clock = system_clock());
  static AsyncOmniQ from_env();

  asio::awaitable<std::string> enqueue(std::string func_path, Value args, TaskOptions options);
  asio::awaitable<std::string> enqueue(std::string func_path, Value args);
  asio::awaitable<std::string> enqueue(std::string func_path);
  asio::awaitable<Enqueued> submit(std::string func_path, Value args, TaskOptions options);
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
  asio::awaitable<std::vector<std::string>> enqueue_many(std::vector<Task> tasks);
  Task make_task(std::string func_path, Value args = Value::array(),
                 TaskOptions options = {}) const;

  asio::awaitable<std::optional<TaskResult>> get_result(std::string id, ResultOptions options);
  asio::awaitable<std::optional<TaskResult>> get_result(std::string id);
  asio::awaitable<CancelResult> cancel(std::string id);
  asio::awaitable<std::string> retry(std::string id);
  asio::awaitable<std::optional<Task>> get_task(std::string id);
  asio::awaitable<std::vector<Task>> list_tasks(TaskFilter filter);
  asio::awaitable<QueueStats> stats();
  asio::awaitable<std::size_t> purge_results();
  asio::awaitable<void> pause_queue(std::string queue);
  asio::awaitable<void> resume_queue(std::string queue);

  // A worker pool for this queue on `executor` (not started).
  AsyncWorkerPool worker(Registry registry, WorkerOptions options,
                         asio::any_io_executor executor) const;

  const Settings& settings() const;
  const std::shared_ptr<Storage>& storage() const;
  // The same queue, blocking.
  OmniQ sync() const;

 private:
  friend class OmniQ;
  explicit AsyncOmniQ(std::shared_ptr<detail::TaskQueue> queue);
  std::shared_ptr<detail::TaskQueue> queue_;
};

}  // namespace omniq
