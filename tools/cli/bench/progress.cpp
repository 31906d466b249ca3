#include "progress.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace omniq::cli::bench {

bool Progress::stderr_is_terminal() {
  return ::isatty(STDERR_FILENO) == 1;
}

void Progress::begin(std::string label, std::size_t total, const std::atomic<std::size_t>& done) {
  end();
  if (!enabled_) return;
  label_ = std::move(label);
  total_ = total;
  done_ = &done;
  started_ = std::chrono::steady_clock::now();
  stop_ = false;
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      draw(false);
      cv_.wait_for(lock, std::chrono::milliseconds(200));
    }
  });
}

void Progress::end() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  draw(true);
}

void Progress::note(const std::string& text) {
  if (!enabled_) return;
  std::fprintf(stderr, "\r\033[K%s\n", text.c_str());
  std::fflush(stderr);
}

void Progress::draw(bool final) {
  std::size_t done = done_->load(std::memory_order_relaxed);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  double rate = secs > 0 ? static_cast<double>(done) / secs : 0.0;
  if (total_ > 0) {
    std::fprintf(stderr, "\r\033[K%-22s %9zu/%-9zu %10.0f/s %7.1fs", label_.c_str(), done, total_,
                 rate, secs);
  } else {
    std::fprintf(stderr, "\r\033[K%-22s %9zu %10.0f/s %7.1fs", label_.c_str(), done, rate, secs);
  }
  if (final) std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace omniq::cli::bench
