// EventLoop: an io_context on its own thread, and a way to run a coroutine on
// it from blocking code. Internal; shared by OmniQ and WorkerPool.
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <thread>
#include <utility>

namespace omniq {

class EventLoop {
 public:
  EventLoop() : work_(asio::make_work_guard(ctx_)), thread_([this] { ctx_.run(); }) {}
  ~EventLoop() {
    work_.reset();
    ctx_.stop();
    if (thread_.joinable()) thread_.join();
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
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

}  // namespace omniq
