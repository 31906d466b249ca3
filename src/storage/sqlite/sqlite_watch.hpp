// SqliteWatch: wakes an idle worker when any process commits to a SQLite
// database file. Internal to the library.
//
// Every commit in WAL mode appends to the database's -wal file, so an inotify
// watch on that file for IN_MODIFY fires within a millisecond of a commit by
// any process on the machine (in another journal mode, the database file
// itself is watched). Until the file exists, its directory is watched for it
// to appear. Spurious wake-ups (this process's own commits) are harmless: the
// woken worker's claim finds nothing and it waits again.
//
// Not thread-safe: one worker pool owns it.
#pragma once

#include <string>

#include "omniq/storage.hpp"

namespace omniq {

class SqliteWatch final : public ChangeWatch {
 public:
  // Watches `path`'s -wal file when `wal`, else `path`. Throws StorageError.
  SqliteWatch(const std::string& path, bool wal);
  ~SqliteWatch() override;
  SqliteWatch(const SqliteWatch&) = delete;
  SqliteWatch& operator=(const SqliteWatch&) = delete;

  int fd() const override { return fd_; }
  void consume() override;

 private:
  // Watches the file, or its directory while the file does not exist.
  void arm();

  std::string file_, dir_;
  int fd_ = -1, file_wd_ = -1, dir_wd_ = -1;  // inotify, and its two watches
};

}  // namespace omniq
