#include "file_running_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "omniq/error.hpp"

namespace omniq {

RunningLock::RunningLock(RunningLock&& other) noexcept
    : fd_(other.fd_), st_(other.st_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

RunningLock& RunningLock::operator=(RunningLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = other.fd_;
    st_ = other.st_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

void RunningLock::release() {
  if (fd_ >= 0) ::close(fd_);  // closing the only descriptor drops the flock
  fd_ = -1;
}

RunningLock::Status RunningLock::acquire(const FsDir& dir, const std::string& name, bool wait) {
  release();
  path_ = dir.path(name);
  for (;;) {
    int fd = ::openat(dir.fd(), name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
      if (errno == ENOENT) return Status::absent;
      if (errno == ELOOP) return Status::foreign;
      throw_fs_error("open", path_, errno);
    }
    fd_ = fd;
    int rc;
    while ((rc = ::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB))) != 0 && errno == EINTR) {
    }
    if (rc != 0) {
      int err = errno;
      release();
      if (err == EWOULDBLOCK) return Status::busy;
      throw_fs_error("lock", path_, err);
    }
    if (::fstat(fd, &st_) != 0) throw_fs_error("stat", path_, errno);
    if (!S_ISREG(st_.st_mode)) {
      release();
      return Status::foreign;
    }
    if (st_.st_nlink == 0) {  // replaced or moved on while we waited: look again
      release();
      continue;
    }
    auto now = dir.stat(name);
    if (!now) {
      release();
      return Status::absent;
    }
    if (now->st_ino == st_.st_ino && now->st_dev == st_.st_dev) return Status::locked;
    release();
  }
}

std::string RunningLock::read(std::size_t max_bytes) const {
  if (static_cast<std::size_t>(st_.st_size) > max_bytes) {
    throw SerializationError(path_ + " is " + std::to_string(st_.st_size) +
                             " bytes, more than the " + std::to_string(max_bytes) + " accepted");
  }
  std::string out(static_cast<std::size_t>(st_.st_size), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::pread(fd_, out.data() + got, out.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_fs_error("read", path_, errno);
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

}  // namespace omniq
