#include "engine/sync_threads.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace omniq {

struct SyncThreads::State {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> jobs;
  bool stopping = false;

  static void serve(std::shared_ptr<State> self) {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(self->mu);
        self->cv.wait(lock, [&] { return self->stopping || !self->jobs.empty(); });
        if (self->stopping) return;
        job = std::move(self->jobs.front());
        self->jobs.pop_front();
      }
      job();
    }
  }
};

SyncThreads::SyncThreads(std::size_t threads) : state_(std::make_shared<State>()) {
  for (std::size_t i = 0; i < threads; ++i) add_thread();
}

SyncThreads::~SyncThreads() {
  {
    std::lock_guard lock(state_->mu);
    state_->stopping = true;
    state_->jobs.clear();
  }
  state_->cv.notify_all();
}

void SyncThreads::post(std::function<void()> job) {
  {
    std::lock_guard lock(state_->mu);
    state_->jobs.push_back(std::move(job));
  }
  state_->cv.notify_one();
}

void SyncThreads::add_thread() {
  std::thread(State::serve, state_).detach();
}

}  // namespace omniq
