// on_storage: runs a blocking queue call on one of the queue's storage
// threads and resumes the awaiting coroutine on its own executor with the
// value, or the exception rethrown. Internal; for the async façade and the
// worker pool.
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <memory>

#include "engine/task_queue.hpp"

namespace omniq::detail {

template <class F>
auto on_storage(const std::shared_ptr<TaskQueue>& q, F f) -> asio::awaitable<decltype(f())> {
  auto call = [f = std::move(f)]() mutable -> asio::awaitable<decltype(f())> { co_return f(); };
  return asio::co_spawn(q->storage_threads(), std::move(call), asio::use_awaitable);
}

}  // namespace omniq::detail
