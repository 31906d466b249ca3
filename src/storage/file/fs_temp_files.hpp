// TempFiles: a batch of atomic writes. Each file is written whole under a
// unique name in the store's tmp/ directory (same file system, mode 0600
// whatever the umask); publish() renames one into place. Whatever was not
// published is removed when the batch is destroyed, so a failed write never
// leaves a partial file behind. Nothing is synced unless asked (sync_locked):
// the file store's durability comes from its journal. Internal to the
// library; not synchronised.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "fs_dir.hpp"

namespace omniq {

class TempFiles {
 public:
  explicit TempFiles(const FsDir& tmp);
  ~TempFiles();
  TempFiles(const TempFiles&) = delete;
  TempFiles& operator=(const TempFiles&) = delete;

  // Writes a new temp file holding `bytes`; returns its index. With `lock`,
  // the file is flock()ed from its creation until the batch is destroyed, so
  // it is already locked when published (see RunningLock). Throws
  // StorageError (ENOSPC, EFBIG, EACCES...) naming the file, leaving nothing.
  std::size_t add(std::string_view bytes, bool lock = false);
  // Renames file i to dir/name (replacing it unless noreplace). Returns false,
  // keeping the temp file for removal, when noreplace and name exists.
  bool publish(std::size_t i, const FsDir& dir, const std::string& name, bool noreplace = false);
  // fdatasync()s the files still open (those added with `lock`), so that
  // publishing one over an older file never leaves a file the power can empty.
  void sync_locked();
  std::size_t size() const { return files_.size(); }

  // Removes temp files that a process no longer alive left in tmp/.
  static void remove_orphans(const FsDir& tmp);

 private:
  struct File {
    std::string name;
    int fd = -1;  // kept open while locked
    bool published = false;
  };
  void close_fd(File& f);

  const FsDir& tmp_;
  std::string prefix_;  // "<pid>."
  std::vector<File> files_;
};

}  // namespace omniq
