// QueueWatch: notices <id>.task files arriving in queue/ (enqueued, retried,
// released or recovered by this or another process) through inotify, read
// without blocking. arrivals() counts them, so change_counter() moves when
// another process adds work; take() hands the store the ids to look at, or
// tells it that events were lost (queue overflow, or no inotify at all) and
// a directory scan is needed. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace omniq {

class QueueWatch {
 public:
  // Watches `queue_path`; without inotify (limits, file system) it stays
  // inactive and take() always asks for scans.
  explicit QueueWatch(const std::string& queue_path);
  ~QueueWatch() { close(); }
  QueueWatch(const QueueWatch&) = delete;
  QueueWatch& operator=(const QueueWatch&) = delete;

  bool active() const { return fd_ >= 0; }
  // Reads what is pending, without blocking.
  void poll();
  // How many .task arrivals have been seen, ever.
  std::uint64_t arrivals() const { return arrivals_.load(std::memory_order_relaxed); }

  struct Pending {
    std::vector<std::string> ids;
    bool lost = false;  // events were dropped: only a scan tells what is there
  };
  // Polls, then returns and forgets what arrived since the last take().
  Pending take();
  void close();

 private:
  std::mutex mu_;
  int fd_ = -1;
  std::vector<std::string> ids_;
  bool lost_ = false;
  std::atomic<std::uint64_t> arrivals_{0};
};

}  // namespace omniq
