#include "file_running_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "omniq/error.hpp"

namespace omniq {
namespace {

int lock_fd(int fd, bool wait) {
  int rc;
  while ((rc = ::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB))) != 0 && errno == EINTR) {
  }
  return rc == 0 ? 0 : errno;
}

}  // namespace

RunningLock::RunningLock(RunningLock&& other) noexcept
    : fd_(other.fd_), writable_(other.writable_), st_(other.st_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

RunningLock& RunningLock::operator=(RunningLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = other.fd_;
    writable_ = other.writable_;
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

RunningLock::Status RunningLock::open_and_lock(const FsDir& dir, const std::string& name,
                                               bool wait) {
  release();
  path_ = dir.path(name);
  constexpr int kFlags = O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
  int fd = ::openat(dir.fd(), name.c_str(), O_RDWR | kFlags);
  writable_ = fd >= 0;
  if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM)) {
    fd = ::openat(dir.fd(), name.c_str(), O_RDONLY | kFlags);
  }
  if (fd < 0) {
    if (errno == ENOENT) return Status::absent;
    if (errno == ELOOP || errno == EISDIR || errno == ENXIO) return Status::foreign;
    throw_fs_error("open", path_, errno);
  }
  fd_ = fd;
  if (int err = lock_fd(fd, wait); err != 0) {
    release();
    if (err == EWOULDBLOCK) return Status::busy;
    throw_fs_error("lock", path_, err);
  }
  if (::fstat(fd, &st_) != 0) throw_fs_error("stat", path_, errno);
  if (!S_ISREG(st_.st_mode)) {
    release();
    return Status::foreign;
  }
  return Status::locked;
}

RunningLock::Status RunningLock::acquire(const FsDir& dir, const std::string& name, bool wait) {
  for (;;) {
    Status s = open_and_lock(dir, name, wait);
    if (s != Status::locked) return s;
    if (st_.st_nlink == 0) {  // replaced or purged while we waited: look again
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

void RunningLock::unlock() {
  if (fd_ >= 0) ::flock(fd_, LOCK_UN);
}

RunningLock::Status RunningLock::relock(bool wait) {
  if (fd_ < 0) return Status::absent;
  if (int err = lock_fd(fd_, wait); err != 0) {
    if (err == EWOULDBLOCK) return Status::busy;
    throw_fs_error("lock", path_, err);
  }
  if (::fstat(fd_, &st_) != 0) throw_fs_error("stat", path_, errno);
  if (st_.st_nlink == 0) {
    release();
    return Status::absent;
  }
  return Status::locked;
}

std::string RunningLock::read(std::size_t max_bytes) const {
  if (size() > max_bytes) {
    throw SerializationError(path_ + " is " + std::to_string(st_.st_size) +
                             " bytes, more than the " + std::to_string(max_bytes) + " accepted");
  }
  std::string out(size(), '\0');
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

void RunningLock::append(std::string_view bytes, std::size_t at) {
  if (size() > at && ::ftruncate(fd_, static_cast<off_t>(at)) != 0) {
    throw_fs_error("truncate", path_, errno);
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n =
        ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(at + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      truncate(at);
      throw_fs_error("write", path_, err);
    }
    done += static_cast<std::size_t>(n);
  }
  st_.st_size = static_cast<off_t>(at + bytes.size());
}

void RunningLock::truncate(std::size_t size) noexcept {
  if (fd_ >= 0 && ::ftruncate(fd_, static_cast<off_t>(size)) == 0) {
    st_.st_size = static_cast<off_t>(size);
  }
}

}  // namespace omniq
