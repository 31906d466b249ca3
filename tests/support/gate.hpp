// A gate test handlers wait at until the test opens it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

namespace omniq::testing {

class Gate {
 public:
  void open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  // Waits until open or the stop token fires; returns whether it opened.
  bool wait(const std::stop_token& stop) {
    std::unique_lock lock(mu_);
    while (!open_ && !stop.stop_requested()) cv_.wait_for(lock, std::chrono::milliseconds(1));
    return open_;
  }
  // Waits until open, whatever else happens (a handler that ignores its stop token).
  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

}  // namespace omniq::testing
