#include "sqlite_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "omniq/error.hpp"

namespace omniq {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw StorageError("cannot watch " + what + " for changes: " + std::strerror(errno));
}

}  // namespace

SqliteWatch::SqliteWatch(const std::string& path, bool wal) : file_(wal ? path + "-wal" : path) {
  auto slash = file_.rfind('/');
  dir_ = slash == std::string::npos ? "." : file_.substr(0, std::max<std::size_t>(slash, 1));
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) fail("SQLite database \"" + path + "\" (inotify)");
  try {
    arm();
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

SqliteWatch::~SqliteWatch() {
  ::close(fd_);
}

void SqliteWatch::arm() {
  file_wd_ = ::inotify_add_watch(fd_, file_.c_str(), IN_MODIFY);
  if (file_wd_ >= 0 || errno != ENOENT) {
    if (file_wd_ < 0) fail("\"" + file_ + "\"");
    if (dir_wd_ >= 0) ::inotify_rm_watch(fd_, dir_wd_);
    dir_wd_ = -1;
    return;
  }
  if (dir_wd_ < 0) {
    dir_wd_ = ::inotify_add_watch(fd_, dir_.c_str(), IN_CREATE | IN_MOVED_TO);
    if (dir_wd_ < 0) fail("directory \"" + dir_ + "\"");
    arm();  // the file may have appeared meanwhile
  }
}

void SqliteWatch::consume() {
  alignas(inotify_event) char buf[4096];
  bool gone = false;
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) break;  // EAGAIN: drained
    for (char* p = buf; p < buf + n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(p);
      if (e->wd == file_wd_ && (e->mask & IN_IGNORED) != 0) gone = true;  // deleted
      p += sizeof(inotify_event) + e->len;
    }
  }
  if (gone || file_wd_ < 0) arm();
}

}  // namespace omniq
