// Internal: turns a callback-style operation into an asio awaitable.
#pragma once

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

namespace omniq::detail {

// Runs start(done), where done(std::exception_ptr[, R]) must be called exactly
// once, from any thread. The awaiting coroutine resumes on its own executor
// with the value, or with the exception rethrown.
template <class R, class Start>
asio::awaitable<R> async_call(Start start) {
  if constexpr (std::is_void_v<R>) {
    return asio::async_initiate<const asio::use_awaitable_t<>, void(std::exception_ptr)>(
        [start = std::move(start)](auto handler) mutable {
          auto ex = asio::get_associated_executor(handler);
          auto h = std::make_shared<decltype(handler)>(std::move(handler));
          auto work = std::make_shared<asio::executor_work_guard<decltype(ex)>>(ex);
          start([h, work](std::exception_ptr ep) {
            asio::post(work->get_executor(), [h, ep]() mutable { (*h)(ep); });
          });
        },
        asio::use_awaitable);
  } else {
    return asio::async_initiate<const asio::use_awaitable_t<>, void(std::exception_ptr, R)>(
        [start = std::move(start)](auto handler) mutable {
          auto ex = asio::get_associated_executor(handler);
          auto h = std::make_shared<decltype(handler)>(std::move(handler));
          auto work = std::make_shared<asio::executor_work_guard<decltype(ex)>>(ex);
          start([h, work](std::exception_ptr ep, R value) {
            asio::post(work->get_executor(),
                       [h, ep, v = std::move(value)]() mutable { (*h)(ep, std::move(v)); });
          });
        },
        asio::use_awaitable);
  }
}

}  // namespace omniq::detail
