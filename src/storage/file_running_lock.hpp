// RunningLock: an exclusive flock() on the file that queue/<id>.running names.
//
// Every change to a .running file (rewriting it, renaming it on to .task or
// .done, recovering it) is made by a holder of this lock. The lock belongs to
// the inode, which renames do not change; a rewrite renames a new inode over
// the name and so ends what the old lock protected. acquire() therefore
// re-checks, once locked, that the file still has a link and that the name
// still points to the locked inode, and starts again if not: whoever holds a
// RunningLock holds the file the name designates right now. Internal to the
// library.
#pragma once

#include <sys/stat.h>

#include <string>

#include "fs_dir.hpp"

namespace omniq {

class RunningLock {
 public:
  enum class Status {
    locked,
    absent,   // no such file (any more)
    busy,     // another holder (only when not waiting)
    foreign,  // not a regular file: for the caller to move aside
  };

  RunningLock() = default;
  ~RunningLock() { release(); }
  RunningLock(RunningLock&& other) noexcept;
  RunningLock& operator=(RunningLock&& other) noexcept;
  RunningLock(const RunningLock&) = delete;
  RunningLock& operator=(const RunningLock&) = delete;

  // Locks dir/name, waiting for another holder when `wait`. Throws StorageError
  // on I/O errors.
  Status acquire(const FsDir& dir, const std::string& name, bool wait);

  // The locked file's whole content; throws SerializationError above max_bytes.
  std::string read(std::size_t max_bytes) const;
  // The locked file's status as found when it was locked.
  const struct stat& stat() const { return st_; }
  bool held() const { return fd_ >= 0; }
  void release();

 private:
  int fd_ = -1;
  struct stat st_ {};
  std::string path_;
};

}  // namespace omniq
