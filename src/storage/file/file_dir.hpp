// FileDir: an open directory of the file store and the file operations the
// store needs, relative to it (openat, renameat, unlinkat), so that no path
// is resolved twice and no symbolic link inside the store is followed.
// Failures other than an expected "no such file" throw StorageError naming
// the path and the errno text. Internal; its operations are thread-safe.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "omniq/time.hpp"

namespace omniq {

// Throws StorageError "cannot <what> <path>: <strerror(err)>".
[[noreturn]] void throw_fs_error(std::string_view what, std::string_view path, int err);

class FileDir {
 public:
  // Opens `path`, creating it and its missing parents with mode 0700.
  static FileDir open(const std::string& path);
  // Opens the subdirectory `name`, creating it with mode 0700 if absent.
  FileDir sub(const std::string& name) const;
  ~FileDir();
  FileDir(const FileDir&) = delete;
  FileDir& operator=(const FileDir&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  std::string path(std::string_view name) const { return path_ + "/" + std::string(name); }

  // Returns the content of `name`, or nullopt if there is none. Throws
  // SerializationError, unread, for a file over max_bytes or not a regular file.
  std::optional<std::string> read(const std::string& name, std::size_t max_bytes) const;
  // Returns lstat() of `name`, or nullopt if there is none.
  std::optional<struct stat> stat(const std::string& name) const;
  // Writes a new file "<pid>.<n>.tmp" (0600), its data on disk if `sync`,
  // and returns its name. Leaves nothing behind when it throws.
  std::string write_temp(std::string_view bytes, bool sync,
                         std::optional<Timestamp> mtime = std::nullopt) const;
  // Renames `name` to `to` / `to_name`; returns false if there was no `name`.
  bool move(const std::string& name, const FileDir& to, const std::string& to_name) const;
  // Unlinks `name`; returns false if there was none.
  bool remove(const std::string& name) const;
  // Makes the directory's entries durable (fsync).
  void sync() const;
  // Returns the names in the directory, but "." and "..".
  std::vector<std::string> list() const;

 private:
  FileDir(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace omniq

// Seams for the file store's tests (a test may kill the process in `step`).
namespace omniq::file_store_hooks {

inline std::atomic<std::uint64_t> reads{0};     // files read, by every file store
inline std::atomic<std::uint64_t> listings{0};  // directories listed

// Called with "added" (a new task is in queue/), "written" (a new record is
// under the old name) and "renamed" (the name fits it: a claim's .running).
inline void (*step)(std::string_view what, const std::string& id) = nullptr;

}  // namespace omniq::file_store_hooks
