// WorkerPool: an AsyncWorkerPool driven from blocking code, on its own
// event-loop thread.
//
//   omniq::WorkerPool pool = oq.worker(registry, {.concurrency = 8});
//   pool.start();   // returns once the workers run
//   ...
//   pool.stop();    // blocks until stopped (the destructor does it too)
//
// Thread-safety: start/stop/stats from any thread.
#pragma once

#include <memory>

#include "omniq/async_worker_pool.hpp"

namespace omniq {

class WorkerPool {
 public:
  WorkerPool(std::shared_ptr<AsyncTaskQueue> queue, Registry registry, WorkerOptions options = {});
  ~WorkerPool();  // stop()
  WorkerPool(WorkerPool&&) noexcept;
  WorkerPool& operator=(WorkerPool&&) noexcept;

  // Starts the workers; returns once they run. Throws if already started.
  void start();
  // Stops gracefully (see AsyncWorkerPool) and returns when stopped. Idempotent.
  void stop();
  bool running() const;
  WorkerStats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omniq
