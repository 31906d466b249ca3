// Internal: bridges between callbacks, coroutines and blocking code.
#pragma once

#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <utility>

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <asio/use_awaitable.hpp>

namespace omniq::detail {

// The awaiting coroutine's handler, and its executor with outstanding work
// tracked (which keeps the event loop running until it is released). Both
// are emptied when the operation completes, so a copy of the callback that
// dies later on another thread holds nothing tied to the loop.
//
// Release order matters: a tracked strand executor drops its strand first and
// its work count last, so the loop (and the strand's service) outlive every
// piece of it. (An executor_work_guard would not do: it keeps a second,
// untracked copy that it destroys after the work count has dropped.)
template <class Handler, class Tracked>
struct AsyncCallSlot {
  std::optional<Handler> handler;
  std::optional<Tracked> tracked;
};

// Runs start(done), where done(std::exception_ptr, R) must be called exactly
// once, from any thread. The awaiting coroutine resumes on its own executor
// with the value, or with the exception rethrown.
template <class R, class Start>
asio::awaitable<R> async_call(Start start) {
  return asio::async_initiate<const asio::use_awaitable_t<>, void(std::exception_ptr, R)>(
      [start = std::move(start)](auto handler) mutable {
        using Handler = decltype(handler);
        auto tracked = asio::prefer(asio::get_associated_executor(handler),
                                    asio::execution::outstanding_work.tracked);
        using Slot = AsyncCallSlot<Handler, decltype(tracked)>;
        auto slot = std::make_shared<Slot>();
        slot->tracked.emplace(std::move(tracked));
        slot->handler.emplace(std::move(handler));
        // The handler is taken on the loop's thread; the tracked executor is
        // released here last, after post() has dropped its own copies.
        start([slot](std::exception_ptr ep, R value) {
          // Moved, never copied: copying a deeply nested Value recurses per level.
          asio::post(*slot->tracked, [slot, ep, value = std::move(value)]() mutable {
            Handler h = std::move(*slot->handler);
            slot->handler.reset();
            h(ep, std::move(value));
          });
          slot->tracked.reset();
        });
      },
      asio::use_awaitable);
}

// co_spawn's completion handler for blocking code: fulfils a promise. It has
// no executor of its own, so it runs on the coroutine's thread. (asio::use_future's
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

}  // namespace omniq::detail
