// SyncThreads: the threads that run synchronous handlers. Internal.
//
// A plain job queue served by N threads. When a job is abandoned (its handler
// ran past its timeout and grace), add_thread() keeps the pool at strength
// while the stuck thread finishes alone. Threads are detached and share the
// queue's state, so a stuck thread never blocks shutdown or outlives memory
// it uses.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace omniq {

class SyncThreads {
 public:
  explicit SyncThreads(std::size_t threads);
  ~SyncThreads();  // stops taking jobs; queued jobs are dropped
  SyncThreads(const SyncThreads&) = delete;
  SyncThreads& operator=(const SyncThreads&) = delete;

  void post(std::function<void()> job);
  void add_thread();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace omniq
