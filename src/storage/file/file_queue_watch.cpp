#include "file_queue_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "file_record.hpp"
#include "omniq/logging.hpp"

#include <spdlog/spdlog.h>

namespace omniq {
namespace {

// Beyond this many unclaimed arrivals, a scan is cheaper than the list.
constexpr std::size_t kMaxPendingIds = 100000;

}  // namespace

QueueWatch::QueueWatch(const std::string& queue_path) {
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) {
    logger()->warn(
        "file store {}: inotify unavailable ({}); other processes' tasks are found by "
        "periodic scans",
        queue_path, std::strerror(errno));
    return;
  }
  // Task files only ever arrive by rename (IN_MOVED_TO); IN_CLOSE_WRITE catches
  // files written in place by other tools.
  if (::inotify_add_watch(fd_, queue_path.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    logger()->warn("file store {}: cannot watch it ({}); using periodic scans", queue_path,
                   std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
  }
}

void QueueWatch::poll() {
  std::lock_guard lock(mu_);
  if (fd_ < 0) return;
  alignas(inotify_event) char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // EAGAIN: nothing more
    for (char* p = buf; p < buf + n;) {
      inotify_event ev{};
      std::memcpy(&ev, p, sizeof ev);
      const char* name = p + sizeof(inotify_event);
      p += sizeof(inotify_event) + ev.len;
      if ((ev.mask & IN_Q_OVERFLOW) != 0) {
        lost_ = true;
        arrivals_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (ev.len == 0) continue;
      // Most events are this store's own claims and outcomes: skip them cheaply.
      if (!std::string_view(name).ends_with(".task")) continue;
      auto rec = parse_record_name(name);
      if (!rec || rec->kind != RecordKind::waiting) continue;
      arrivals_.fetch_add(1, std::memory_order_relaxed);
      if (ids_.size() < kMaxPendingIds) {
        ids_.push_back(std::move(rec->id));
      } else {
        lost_ = true;
      }
    }
  }
}

QueueWatch::Pending QueueWatch::take() {
  poll();
  std::lock_guard lock(mu_);
  Pending p;
  p.ids.swap(ids_);
  p.lost = lost_ || fd_ < 0;
  lost_ = false;
  if (p.lost) p.ids.clear();
  return p;
}

void QueueWatch::close() {
  std::lock_guard lock(mu_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace omniq
