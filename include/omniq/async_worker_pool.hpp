// AsyncWorkerPool: the worker pool of omniq/worker_pool.hpp on an executor
// of yours: coroutine handlers, timers and lease renewal run there, plain
// handlers on the pool's own threads. Same options, same behaviour.
//
//   omniq::AsyncWorkerPool pool = oq.worker(registry, {.concurrency = 8}, io.get_executor());
//   pool.start();             // or co_await pool.run() until stop
//   co_await pool.stop();
//
// This header also lets a Registry take coroutine handlers (functions
// returning asio::awaitable<T>).
//
// Thread-safety: start/stop/request_stop/stats from any thread.
#pragma once

#include <memory>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include "omniq/worker_pool.hpp"

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
  const WorkerOptions& options() const;

 private:
  friend class AsyncOmniQ;
  friend class WorkerPool;
  AsyncWorkerPool(std::shared_ptr<detail::TaskQueue> queue, Registry registry,
                  WorkerOptions options, asio::any_io_executor executor);

  std::shared_ptr<detail::PoolCore> core_;
};

// A coroutine handler as the pool runs it.
class AsyncHandler final : public AsyncHandlerBase {
 public:
  explicit AsyncHandler(std::function<asio::awaitable<Value>(TaskContext&)> run)
      : run_(std::move(run)) {}
  asio::awaitable<Value> operator()(TaskContext& ctx) const { return run_(ctx); }

 private:
  std::function<asio::awaitable<Value>(TaskContext&)> run_;
};

namespace detail {

template <class F>
struct AsyncHandlerMaker {
  static Handler make(F f) {
    using T = typename signature<F>::result::value_type;
    Handler h;
    h.async = std::make_shared<AsyncHandler>(
        [f = std::move(f)](TaskContext& ctx) mutable -> asio::awaitable<Value> {
          if constexpr (std::is_void_v<T>) {
            co_await invoke_typed(f, ctx);
            co_return Value(nullptr);
          } else {
            co_return Value(co_await invoke_typed(f, ctx));
          }
        });
    return h;
  }
};

}  // namespace detail
}  // namespace omniq
