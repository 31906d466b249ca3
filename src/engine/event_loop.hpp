// EventLoop: an io_context on its own thread, and a way to run a coroutine on
// it from blocking code. Internal; shared by OmniQ and WorkerPool.
//
// Destruction lets work in flight (storage calls that will post back) finish
// before the io_context goes away, up to a bound; only then is it stopped.
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <future>
#include <optional>
#include <thread>
#include <utility>

namespace omniq::detail {

// co_spawn's completion handler for EventLoop::block: fulfils a promise. It
// has no executor of its own, so it runs on the loop. (asio::use_future's
// handler would name the process-wide system_context, whose threads a forked
// child does not have: a child forked after its parent used it would wait for
// ever.)
template <class R>
struct FulfilPromise {
  std::promise<R>* promise;
  template <class... V>  // none for void
  void operator()(std::exception_ptr e, V... value) {
    if (e) {
      promise->set_exception(e);
    } else {
      promise->set_value(std::move(value)...);
    }
  }
};

class EventLoop {
 public:
  EventLoop() {
    std::promise<void> finished;
    finished_ = finished.get_future();
    thread_ = std::thread([this, finished = std::move(finished)]() mutable {
      ctx_.run();
      finished.set_value();
    });
  }
  ~EventLoop() {
    work_.reset();
    if (finished_.wait_for(std::chrono::seconds(10)) != std::future_status::ready) ctx_.stop();
    thread_.join();
  }
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  asio::io_context::executor_type executor() { return ctx_.get_executor(); }

  // Runs make() (which returns an asio::awaitable) on the loop and blocks for
  // its value or exception. REQUIRES: not called from the loop's own thread.
  template <class MakeAwaitable>
  auto block(MakeAwaitable make) {
    using R = typename decltype(make())::value_type;
    std::promise<R> promise;
    std::future<R> result = promise.get_future();
    asio::co_spawn(ctx_, std::move(make), FulfilPromise<R>{&promise});
    return result.get();
  }

 private:
  asio::io_context ctx_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(ctx_)};
  std::future<void> finished_;
  std::thread thread_;
};

}  // namespace omniq::detail
