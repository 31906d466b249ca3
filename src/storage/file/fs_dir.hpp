// FsDir: one open directory of a store and the few file operations the file
// store needs, relative to it (openat/renameat/unlinkat), so no path is ever
// resolved twice and nothing outside the directory is followed (O_NOFOLLOW).
// Failures other than the expected "no such file" throw StorageError naming
// the path and the errno text. Internal to the library; not synchronised
// (the directory fd itself may be shared between threads).
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omniq {

// Throws StorageError "cannot <what> <path>: <strerror(err)>".
[[noreturn]] void throw_fs_error(std::string_view what, std::string_view path, int err);

class FsDir {
 public:
  // Opens `path`, creating it (and missing parents) with mode 0700 when absent.
  static FsDir open(const std::string& path);

  FsDir() = default;
  ~FsDir();
  FsDir(FsDir&& other) noexcept;
  FsDir& operator=(FsDir&& other) noexcept;
  FsDir(const FsDir&) = delete;
  FsDir& operator=(const FsDir&) = delete;

  // Opens the subdirectory `name`, creating it 0700 when absent.
  FsDir sub(const std::string& name) const;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  std::string path(std::string_view name) const;

  // The whole file, or nullopt if it does not exist. Throws SerializationError
  // for something that is not a regular file or is larger than max_bytes.
  std::optional<std::string> read(const std::string& name, std::size_t max_bytes) const;
  // lstat of `name`, or nullopt if it does not exist.
  std::optional<struct stat> stat(const std::string& name) const;
  bool exists(const std::string& name) const { return stat(name).has_value(); }

  enum class Move { moved, absent, exists };
  // Renames name to to/to_name. `absent` when name does not exist; with
  // noreplace, `exists` (and nothing changed) when to_name does.
  Move move(const std::string& name, const FsDir& to, const std::string& to_name,
            bool noreplace = false) const;
  // Unlinks name; false if it did not exist.
  bool remove(const std::string& name) const;
  // fsync of the directory itself (its entries).
  void sync() const;
  // syncfs() of the file system holding the directory: every write made to
  // it so far (file data, new and renamed entries) is durable once it
  // returns, at the cost of one journal commit and cache flush for all of them.
  void sync_fs() const;

  struct Entry {
    std::string name;
    bool regular_or_unknown = true;  // false for directories, sockets, ...
  };
  // The entries, without "." and "..".
  std::vector<Entry> list() const;

 private:
  FsDir(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

}  // namespace omniq
