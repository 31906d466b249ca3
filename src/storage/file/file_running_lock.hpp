// RunningLock: an exclusive flock() on a task file, held by whoever changes it.
//
// Every change to a task file (appending a frame, rewriting it, renaming it
// between .task, .running and .done, recovering it) is made by a holder of
// this lock. The lock belongs to the inode, which appends and renames keep; a
// rewrite renames a new inode over the name and so ends what the old lock
// protected. acquire() therefore re-checks, once locked, that the file still
// has a link and that the name still points to the locked inode, and starts
// again if not: whoever holds a RunningLock holds the file the name
// designates right now. A holder may unlock() and keep the file open, to
// relock() it later without looking it up again. Internal to the library.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <string>
#include <string_view>

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

  // Drops the lock, keeping the file open.
  void unlock();
  // Locks the open file again: `absent` if it has lost its last link
  // meanwhile (rewritten or purged), `busy` if another holds it (not waiting).
  Status relock(bool wait);

  // The locked file's whole content (up to its size when locked); throws
  // SerializationError above max_bytes.
  std::string read(std::size_t max_bytes) const;
  // Writes `bytes` at offset `at`, first cutting off anything after it (a
  // torn append). On failure the file is cut back to `at` and StorageError
  // thrown. REQUIRES: appendable().
  void append(std::string_view bytes, std::size_t at);
  // Cuts the file back to `size` bytes (undoing an append); best effort.
  void truncate(std::size_t size) noexcept;
  // False when the file could only be opened for reading (its mode forbids
  // writing): it is then rewritten rather than appended to.
  bool appendable() const { return writable_; }

  // The locked file's status as found when it was locked (size kept current by append).
  const struct stat& stat() const { return st_; }
  std::size_t size() const { return static_cast<std::size_t>(st_.st_size); }
  const std::string& path() const { return path_; }
  bool held() const { return fd_ >= 0; }
  void release();

 private:
  Status open_and_lock(const FsDir& dir, const std::string& name, bool wait);

  int fd_ = -1;
  bool writable_ = false;
  struct stat st_ {};
  std::string path_;
};

}  // namespace omniq
