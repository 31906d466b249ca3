// omniq's coroutine API on Asio, with everything <omniq/omniq.hpp> has:
// AsyncOmniQ, AsyncWorkerPool and coroutine handlers.
//
//   omniq::AsyncOmniQ oq = omniq::AsyncOmniQ::from_env();
//   std::string id = co_await oq.enqueue("math.add", {2, 3});
//   auto result = co_await oq.get_result(id, {.wait = true, .timeout = 5s});
//   omniq::AsyncWorkerPool pool = oq.worker(registry, {.concurrency = 8}, io.get_executor());
//   pool.start();             // or co_await pool.run() until stop
//   co_await pool.stop();
//
// AsyncOmniQ has OmniQ's methods as coroutines: store calls run on the
// queue's storage threads and resume the awaiting coroutine on its own
// executor; writes made together are group-committed. (Overloads, not default
// arguments: g++ 12 destroys a defaulted class argument twice inside
// co_await.) AsyncWorkerPool is WorkerPool on an executor of yours:
// coroutine handlers, timers and lease renewal run there, plain handlers on
// the pool's own threads; same options, same behaviour. Including this
// header lets a Registry take coroutine handlers (functions returning
// asio::awaitable<T>).
//
// Thread-safety: an AsyncOmniQ may be used from any executor and thread; a
// pool's start/stop/request_stop/stats from any thread.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <memory>

#include "omniq/omniq.hpp"

namespace omniq {

class AsyncWorkerPool {
 public:
  // A pool still running asks itself to stop; it finishes stopping on its executor.
  ~AsyncWorkerPool();
  AsyncWorkerPool(AsyncWorkerPool&&) noexcept;
  AsyncWorkerPool& operator=(AsyncWorkerPool&&) noexcept;

  // Starts the pool on its executor and returns at once.
  void start();
  // Runs the pool until stop() or request_stop(); returns when it has stopped.
  asio::awaitable<void> run();
  // Stops gracefully and returns when everything has stopped.
  asio::awaitable<void> stop();
  // Asks the pool to stop without waiting.
  void request_stop();

  WorkerStats stats() const;

 private:
  friend class AsyncOmniQ;
  friend class WorkerPool;
  AsyncWorkerPool(std::shared_ptr<detail::TaskQueue> queue, Registry registry,
                  WorkerOptions options, asio::any_io_executor executor);

  std::shared_ptr<detail::PoolCore> core_;
};

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
  asio::awaitable<std::string> enqueue(TaskCall call, TaskOptions options);
  asio::awaitable<std::string> enqueue(TaskCall call);
  asio::awaitable<Enqueued> submit(std::string func_path, Value args, TaskOptions options);
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

// A coroutine handler as the pool runs it.
struct AsyncHandler final : AsyncHandlerBase {
  std::function<asio::awaitable<Value>(TaskContext&)> run;
};

namespace detail {

template <class F>
struct AsyncHandlerMaker {
  static Handler make(F f) {
    using T = typename signature<F>::result::value_type;
    auto async = std::make_shared<AsyncHandler>();
    async->run = [f = std::move(f)](TaskContext& ctx) mutable -> asio::awaitable<Value> {
      if constexpr (std::is_void_v<T>) {
        co_await invoke_typed(f, ctx);
        co_return Value(nullptr);
      } else {
        co_return Value(co_await invoke_typed(f, ctx));
      }
    };
    return Handler{{}, std::move(async)};
  }
};

}  // namespace detail
}  // namespace omniq
