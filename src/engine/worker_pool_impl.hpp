// AsyncWorkerPool::Impl, shared by the two files that implement it:
// async_worker_pool.cpp (claiming, running tasks, recording outcomes) and
// worker_pool_upkeep.cpp (keeping leases alive, recovery and purges, stopping).
// Internal to the library.
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <deque>
#include <map>
#include <mutex>

#include "engine/attempt.hpp"
#include "engine/claim_pacer.hpp"
#include "engine/sync_threads.hpp"
#include "omniq/async_worker_pool.hpp"

namespace omniq {
namespace worker_detail {

inline constexpr auto kWait = asio::experimental::as_tuple(asio::use_awaitable);

inline std::chrono::steady_clock::duration steady(Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
}

}  // namespace worker_detail

class AsyncWorkerPool::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(std::shared_ptr<AsyncTaskQueue> queue, Registry registry, WorkerOptions options,
       asio::any_io_executor executor)
      : queue_(std::move(queue)),
        registry_(std::move(registry)),
        opt_(options),
        strand_(asio::make_strand(executor)),
        threads_(options.concurrency),
        pacer_(options.concurrency, options.prefetch),
        wake_(strand_) {
    opt_.validate();
  }

  void start() {
    auto self = shared_from_this();
    asio::co_spawn(
        strand_, [self]() { return self->run(); }, asio::detached);
  }

  asio::awaitable<void> run();
  asio::awaitable<void> stop();
  void request_stop() {
    asio::post(strand_, [self = shared_from_this()] { self->begin_stop(); });
  }

  WorkerStats stats() const {
    std::lock_guard lock(stats_mu_);
    return stats_;
  }
  const WorkerOptions& options() const { return opt_; }

 private:
  using Strand = asio::strand<asio::any_io_executor>;

  asio::awaitable<void> claim_loop();
  asio::awaitable<void> heartbeat_loop();
  asio::awaitable<void> maintenance_loop();
  asio::awaitable<void> shut_down();
  // The task is attempt->task(), or `unhandled` when no handler is registered.
  asio::awaitable<void> run_task(Task unhandled, std::shared_ptr<Attempt> attempt);
  asio::awaitable<void> record(const Task& task, AttemptResult r);
  asio::awaitable<void> idle_wait(std::uint64_t seen_changes);
  void start_buffered();
  void on_stop_requested(const Claim& c);

  void begin_stop() {
    stopping_ = true;
    wake();
    changed();
  }
  // Wakes the claim loop (on the strand).
  void wake() {
    wake_pending_ = true;
    wake_.cancel();
  }
  // Wakes every coroutine in wait_changed (on the strand).
  void changed() {
    for (auto* t : waiters_) t->cancel();
  }
  // Sleeps until changed() or the deadline (on the strand).
  asio::awaitable<void> wait_changed(std::chrono::steady_clock::time_point deadline) {
    asio::steady_timer t(strand_, deadline);
    waiters_.push_back(&t);
    co_await t.async_wait(worker_detail::kWait);
    // cppcheck-suppress danglingLifetime ; &t leaves waiters_ here, before t goes out of scope
    std::erase(waiters_, &t);
  }
  template <class F>
  void count(F f) {
    std::lock_guard lock(stats_mu_);
    f(stats_);
  }
  Timestamp now() const { return queue_->clock().now(); }

  std::shared_ptr<AsyncTaskQueue> queue_;
  Registry registry_;
  WorkerOptions opt_;
  Strand strand_;
  SyncThreads threads_;
  ClaimPacer pacer_;  // strand-only

  // Strand-only state.
  std::deque<Task> buffer_;  // claimed, not started
  std::map<std::string, std::shared_ptr<Attempt>> running_;
  std::size_t records_ = 0;  // outcomes being written
  std::size_t loops_ = 0;    // heartbeat + maintenance loops alive
  bool started_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
  bool wake_pending_ = false;
  asio::steady_timer wake_;                   // the claim loop sleeps here
  std::vector<asio::steady_timer*> waiters_;  // coroutines in wait_changed
  std::size_t listener_ = 0;

  mutable std::mutex stats_mu_;
  WorkerStats stats_;
};

}  // namespace omniq
