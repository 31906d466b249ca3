#include "fs_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "omniq/error.hpp"

namespace omniq {
namespace {

constexpr mode_t kDirMode = 0700;

// The store's own subdirectories are never symbolic links; the user's base path may be.
int open_dir_at(int parent, const char* name, bool follow = false) {
  return ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
}

// mkdirat with exactly 0700, whatever the umask; false if it existed already.
bool make_dir_at(int parent, const char* name, const std::string& path) {
  if (::mkdirat(parent, name, kDirMode) != 0) {
    if (errno == EEXIST) return false;
    throw_fs_error("create directory", path, errno);
  }
  if (::fchmodat(parent, name, kDirMode, 0) != 0) throw_fs_error("chmod", path, errno);
  return true;
}

}  // namespace

void throw_fs_error(std::string_view what, std::string_view path, int err) {
  throw StorageError("cannot " + std::string(what) + " " + std::string(path) + ": " +
                     std::strerror(err));
}

FsDir FsDir::open(const std::string& path) {
  if (path.empty()) throw StorageError("file store base_dir is empty; give a directory path");
  // Walk the path, creating what is missing (0700), so a fresh store is private.
  int fd = ::open(path[0] == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_fs_error("open", path, errno);
  std::size_t pos = 0;
  while (pos < path.size()) {
    std::size_t end = path.find('/', pos);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty() || part == ".") continue;
    int next = open_dir_at(fd, part.c_str(), true);
    if (next < 0 && errno == ENOENT) {
      try {
        make_dir_at(fd, part.c_str(), path);
      } catch (...) {
        ::close(fd);
        throw;
      }
      next = open_dir_at(fd, part.c_str(), true);
    }
    int err = errno;
    ::close(fd);
    if (next < 0) throw_fs_error("open directory", path, err);
    fd = next;
  }
  return FsDir(fd, path);
}

FsDir::~FsDir() {
  if (fd_ >= 0) ::close(fd_);
}

FsDir::FsDir(FsDir&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

FsDir& FsDir::operator=(FsDir&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

FsDir FsDir::sub(const std::string& name) const {
  std::string p = path(name);
  int fd = open_dir_at(fd_, name.c_str());
  if (fd < 0 && errno == ENOENT) {
    make_dir_at(fd_, name.c_str(), p);
    fd = open_dir_at(fd_, name.c_str());
  }
  if (fd < 0) throw_fs_error("open directory", p, errno);
  return FsDir(fd, std::move(p));
}

std::string FsDir::path(std::string_view name) const {
  std::string p = path_;
  if (!p.empty() && p.back() != '/') p += '/';
  p += name;
  return p;
}

std::optional<std::string> FsDir::read(const std::string& name, std::size_t max_bytes) const {
  int fd = ::openat(fd_, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    if (errno == ELOOP) throw SerializationError(path(name) + " is a symbolic link, not a file");
    throw_fs_error("open", path(name), errno);
  }
  std::unique_ptr<int, void (*)(int*)> guard(&fd, [](int* f) { ::close(*f); });
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_fs_error("stat", path(name), errno);
  if (!S_ISREG(st.st_mode)) throw SerializationError(path(name) + " is not a regular file");
  if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    throw SerializationError(path(name) + " is " + std::to_string(st.st_size) +
                             " bytes, more than the " + std::to_string(max_bytes) + " accepted");
  }
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::pread(fd, out.data() + got, out.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_fs_error("read", path(name), errno);
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

std::optional<struct stat> FsDir::stat(const std::string& name) const {
  struct stat st {};
  if (::fstatat(fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return st;
  if (errno == ENOENT) return std::nullopt;
  throw_fs_error("stat", path(name), errno);
}

FsDir::Move FsDir::move(const std::string& name, const FsDir& to, const std::string& to_name,
                        bool noreplace) const {
  int rc = noreplace ? ::renameat2(fd_, name.c_str(), to.fd_, to_name.c_str(), RENAME_NOREPLACE)
                     : ::renameat(fd_, name.c_str(), to.fd_, to_name.c_str());
  if (rc != 0 && noreplace && errno == EINVAL) {
    // A file system without RENAME_NOREPLACE: link (fails on EEXIST), then unlink.
    rc = ::linkat(fd_, name.c_str(), to.fd_, to_name.c_str(), 0);
    if (rc == 0 && ::unlinkat(fd_, name.c_str(), 0) != 0) {
      throw_fs_error("remove", path(name), errno);
    }
  }
  if (rc == 0) return Move::moved;
  if (errno == ENOENT) return Move::absent;
  if (errno == EEXIST && noreplace) return Move::exists;
  throw_fs_error("rename " + path(name) + " to", to.path(to_name), errno);
}

bool FsDir::remove(const std::string& name) const {
  if (::unlinkat(fd_, name.c_str(), 0) == 0) return true;
  if (errno == ENOENT) return false;
  throw_fs_error("remove", path(name), errno);
}

void FsDir::sync() const {
  if (::fsync(fd_) != 0) throw_fs_error("fsync directory", path_, errno);
}

void FsDir::sync_fs() const {
  if (::syncfs(fd_) != 0) throw_fs_error("sync the file system of", path_, errno);
}

std::vector<FsDir::Entry> FsDir::list() const {
  int fd = ::openat(fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_fs_error("open directory", path_, errno);
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    int err = errno;
    ::close(fd);
    throw_fs_error("list", path_, err);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> guard(d, ::closedir);
  std::vector<Entry> out;
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n == "." || n == "..") continue;
    bool regular = e->d_type == DT_REG || e->d_type == DT_UNKNOWN;
    out.push_back({std::string(n), regular});
  }
  if (errno != 0) throw_fs_error("list", path_, errno);
  return out;
}

}  // namespace omniq
