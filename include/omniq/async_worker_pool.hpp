// AsyncWorkerPool: runs due tasks with handlers from a Registry.
//
// At most `concurrency` tasks run at once. The pool claims tasks as slots free
// up, plus a bounded buffer ahead (at most `prefetch`) so that claims are few
// and large: as many as it starts in about two claim round trips, so a pool
// of short tasks claims in large batches and one of slow tasks holds few that
// another worker could run. A claim joins the commit of the outcomes being
// recorded when it can. Claimed tasks keep a lease that the pool renews while
// they wait or run (a heartbeat), so a live worker's task is never recovered. Idle, it
// wakes on an enqueue in this process at once, on another process's write
// within about `watch_interval`, and otherwise every `poll_interval` or when
// the next eta comes.
//
// Async handlers run on the pool's executor; sync handlers run on the pool's
// own threads. A handler past its task's timeout has its stop token fired
// (an async handler is cancelled); if a sync handler does not return within
// `timeout_grace`, the attempt is recorded as a retryable "TimeoutError" and
// its thread is left to finish alone, its late result discarded.
//
// stop() stops claiming, gives back claimed tasks that have not started,
// lets running tasks finish within `shutdown_grace`, then fires their stop
// tokens; a task still running after that keeps a lease that expires, so
// another worker recovers it.
//
// Thread-safety: start/stop from any thread; everything else runs on the
// executor given at construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include "omniq/async_task_queue.hpp"
#include "omniq/registry.hpp"

namespace omniq {

struct WorkerOptions {
  std::size_t concurrency = 4;                             // tasks running at once; > 0
  Duration poll_interval = std::chrono::seconds(1);        // idle re-check of the store
  Duration watch_interval = std::chrono::milliseconds(1);  // idle check for other processes' writes
  Duration lease = std::chrono::seconds(30);               // renewed every lease/3
  Duration shutdown_grace = std::chrono::seconds(10);      // for running tasks on stop()
  Duration timeout_grace = std::chrono::seconds(1);        // for a timed-out sync handler
  Duration maintenance_interval = std::chrono::seconds(30);  // recover_expired + purge_results
  std::size_t prefetch = 256;                                // claimed ahead of free slots, at most

  // Throws ConfigError for a zero concurrency, or non-positive durations.
  void validate() const;
};

// Counters since start.
struct WorkerStats {
  std::uint64_t claimed = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;  // attempts that failed (retried or not)
  std::uint64_t cancelled = 0;
  std::uint64_t lost = 0;  // outcomes refused because the lease was lost
  std::size_t running = 0;
};

class AsyncWorkerPool {
 public:
  AsyncWorkerPool(std::shared_ptr<AsyncTaskQueue> queue, Registry registry, WorkerOptions options,
                  asio::any_io_executor executor);
  ~AsyncWorkerPool();  // REQUIRES: stopped (or never started)
  AsyncWorkerPool(const AsyncWorkerPool&) = delete;
  AsyncWorkerPool& operator=(const AsyncWorkerPool&) = delete;

  // Starts the pool's loops on its executor and returns at once.
  void start();
  // Runs the pool until stop() is called; returns when it has stopped.
  asio::awaitable<void> run();
  // Stops gracefully (see above) and returns when everything has stopped.
  asio::awaitable<void> stop();
  // Asks the pool to stop without waiting; run() returns when it has.
  void request_stop();

  WorkerStats stats() const;
  const WorkerOptions& options() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace omniq
