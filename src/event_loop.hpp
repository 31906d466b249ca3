// EventLoop: an io_context on its own thread, and a way to run a coroutine on
// it from blocking code. Internal; shared by OmniQ and WorkerPool.
//
// Destruction lets work in flight (storage calls that will post back) finish
// before the io_context goes away, up to a bound; only then is it stopped.
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <chrono>
#include <future>
#include <optional>
#include <thread>
#include <utility>

namespace omniq {

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
    return asio::co_spawn(ctx_, std::move(make), asio::use_future).get();
  }

 private:
  asio::io_context ctx_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(ctx_)};
  std::future<void> finished_;
  std::thread thread_;
};

}  // namespace omniq
