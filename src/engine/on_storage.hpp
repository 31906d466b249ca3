// on_storage: runs a blocking queue call on one of the queue's storage
// threads and resumes the awaiting coroutine on its own executor with the
// value, or the exception rethrown. Internal; for the async façade and the
// worker pool.
#pragma once

#include <memory>
#include <type_traits>

#include "engine/async_call.hpp"
#include "engine/task_queue.hpp"

namespace omniq::detail {

template <class F>
auto on_storage(std::shared_ptr<TaskQueue> q, F f) -> asio::awaitable<decltype(f())> {
  using R = decltype(f());
  return async_call<R>([q, f = std::move(f)](auto done) mutable {
    q->post([f = std::move(f), done = std::move(done)]() mutable {
      if constexpr (std::is_void_v<R>) {
        try {
          f();
        } catch (...) {
          return done(std::current_exception());
        }
        done(nullptr);
      } else {
        R value{};
        try {
          value = f();
        } catch (...) {
          return done(std::current_exception(), R{});
        }
        done(nullptr, std::move(value));
      }
    });
  });
}

}  // namespace omniq::detail
