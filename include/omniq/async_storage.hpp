// AsyncStorage: the awaitable face of a Storage.
//
// Each call runs on a small pool of storage threads (the way aiosqlite gives a
// connection its thread) and resumes the awaiting coroutine on its own
// executor. Writes that arrive together are group-committed: concurrent
// enqueue() calls share one Storage::enqueue_many, and concurrent finish()
// calls one Storage::finish_many, so many producers or workers pay for one
// durable commit instead of one each; a claim() joins the next group of
// finishes (Storage::finish_and_dequeue), so a worker's outcomes and its next
// claim share a commit too. Nothing is acknowledged before the store has made
// it durable.
//
// Thread-safety: all methods may be called from any thread or executor. The
// destructor waits for calls in flight.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>
#include <vector>

#include <asio/awaitable.hpp>

#include "omniq/detail/async_call.hpp"
#include "omniq/storage.hpp"

namespace omniq {

class AsyncStorage {
 public:
  // REQUIRES: storage != nullptr, threads > 0.
  explicit AsyncStorage(std::shared_ptr<Storage> storage, std::size_t threads = 2);
  ~AsyncStorage();
  AsyncStorage(const AsyncStorage&) = delete;
  AsyncStorage& operator=(const AsyncStorage&) = delete;

  Storage& storage() const { return *storage_; }
  const std::shared_ptr<Storage>& shared_storage() const { return storage_; }

  // Runs f(storage) on a storage thread and returns what it returns (or
  // rethrows what it throws) to the awaiting coroutine. F must be copyable.
  // With g++ 12, name a capturing lambda before awaiting it
  // (`auto get = [id](Storage& s) {...}; co_await as.run(get);`): a capturing
  // lambda written inside a co_await expression is destroyed twice by that
  // compiler.
  template <class F>
  auto run(F f) -> asio::awaitable<std::invoke_result_t<F&, Storage&>>;

  // What claim() got: the tasks, and the store's change_counter() as read just
  // before the claim (a worker that found nothing waits for it to change).
  struct Claimed {
    std::uint64_t changes_before = 0;
    std::vector<Task> tasks{};
  };

  // Stores one task, group-committed with concurrent calls. Returns its id.
  asio::awaitable<std::string> enqueue(Task task);
  // Applies one outcome, group-committed. Returns whether the claim was current.
  asio::awaitable<bool> finish(Outcome outcome);
  // Claims up to n due tasks (Storage::dequeue_many) together with the next
  // group of finish() calls, in one durable step when there are any.
  asio::awaitable<Claimed> claim(Timestamp now, std::size_t n, Duration lease);

  // enqueue() for blocking code: the calling thread waits, and applies the
  // group itself when no group commit is under way (so a lone caller pays no
  // hand-off to a storage thread). REQUIRES: not called on an event loop
  // thread that storage callbacks need. Throws what enqueue() would.
  std::string enqueue_blocking(Task task);

  // Callback forms of the above for callers that do not wait; `done` runs on a
  // storage thread.
  void enqueue_async(Task task, std::function<void(std::exception_ptr, std::string)> done);
  void finish_async(Outcome outcome, std::function<void(std::exception_ptr, bool)> done);
  void claim_async(Timestamp now, std::size_t n, Duration lease,
                   std::function<void(std::exception_ptr, Claimed)> done);

  // Runs job on a storage thread.
  void post(std::function<void()> job);

 private:
  struct Impl;
  std::shared_ptr<Storage> storage_;
  std::unique_ptr<Impl> impl_;
};

template <class F>
auto AsyncStorage::run(F f) -> asio::awaitable<std::invoke_result_t<F&, Storage&>> {
  using R = std::invoke_result_t<F&, Storage&>;
  return detail::async_call<R>([this, f = std::move(f)](auto done) mutable {
    post([this, f = std::move(f), done = std::move(done)]() mutable {
      if constexpr (std::is_void_v<R>) {
        std::exception_ptr ep;
        try {
          f(*storage_);
        } catch (...) {
          ep = std::current_exception();
        }
        done(ep);
      } else {
        std::exception_ptr ep;
        R value{};
        try {
          value = f(*storage_);
        } catch (...) {
          ep = std::current_exception();
        }
        done(ep, std::move(value));
      }
    });
  });
}

}  // namespace omniq
