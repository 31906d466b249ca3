#include "engine/sync_threads.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace omniq {
namespace {

// How many times a thread that just finished a job yields the CPU while it
// watches for the next one before it goes to sleep (tens of microseconds).
constexpr int kSpinYields = 200;

}  // namespace

struct SyncThreads::State {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> jobs;
  std::atomic<std::size_t> queued{0};  // jobs.size(), readable without the lock
  std::atomic<bool> stopping{false};

  std::atomic<bool> spinning{false};  // one idle thread at a time watches awake

  // In a stream of short jobs the next one usually arrives within
  // microseconds of the last: one idle thread waits for it awake (yielding,
  // so the thread that posts it can run) and takes it without a sleep, and
  // the post finds nobody to wake (no futex call, no context switch). The
  // other idle threads sleep, so idle CPU use stays bounded.
  void spin_for_job() {
    if (spinning.exchange(true, std::memory_order_acquire)) return;
    for (int i = 0; i < kSpinYields; ++i) {
      if (queued.load(std::memory_order_relaxed) > 0 || stopping.load(std::memory_order_relaxed)) {
        break;
      }
      std::this_thread::yield();
    }
    spinning.store(false, std::memory_order_release);
  }

  static void serve(std::shared_ptr<State> self) {
    for (;;) {
      self->spin_for_job();
      std::function<void()> job;
      {
        std::unique_lock lock(self->mu);
        self->cv.wait(lock, [&] { return self->stopping || !self->jobs.empty(); });
        if (self->stopping) return;
        job = std::move(self->jobs.front());
        self->jobs.pop_front();
        self->queued.store(self->jobs.size(), std::memory_order_relaxed);
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
    state_->queued = 0;
  }
  state_->cv.notify_all();
}

void SyncThreads::post(std::function<void()> job) {
  {
    std::lock_guard lock(state_->mu);
    state_->jobs.push_back(std::move(job));
    state_->queued.store(state_->jobs.size(), std::memory_order_relaxed);
  }
  state_->cv.notify_one();
}

void SyncThreads::add_thread() {
  std::thread(State::serve, state_).detach();
}

}  // namespace omniq
