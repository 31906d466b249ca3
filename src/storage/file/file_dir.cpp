#include "file_dir.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "omniq/error.hpp"

namespace omniq {
namespace {

constexpr mode_t kDirMode = 0700;
constexpr mode_t kFileMode = 0600;

std::atomic<std::uint64_t> g_temp_seq{0};

// mkdirat(), then exactly 0700 whatever the umask; one that exists is kept.
void make_dir(int at, const std::string& name, const std::string& path) {
  if (::mkdirat(at, name.c_str(), kDirMode) == 0) {
    if (::fchmodat(at, name.c_str(), kDirMode, 0) != 0) throw_fs_error("chmod", path, errno);
  } else if (errno != EEXIST) {
    throw_fs_error("create directory", path, errno);
  }
}

struct Fd {  // closes on the way out (close(-1) does nothing)
  int fd;
  ~Fd() { ::close(fd); }
};

}  // namespace

void throw_fs_error(std::string_view what, std::string_view path, int err) {
  throw StorageError("cannot " + std::string(what) + " " + std::string(path) + ": " +
                     std::strerror(err));
}

FileDir FileDir::open(const std::string& path) {
  if (path.empty()) throw StorageError("file store base_dir is empty; give a directory path");
  for (std::size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
    make_dir(AT_FDCWD, path.substr(0, end), path);  // each missing component
    if (end == std::string::npos) break;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_fs_error("open directory", path, errno);
  return FileDir(fd, path);
}

FileDir FileDir::sub(const std::string& name) const {
  make_dir(fd_, name, path(name));
  int fd = ::openat(fd_, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) throw_fs_error("open directory", path(name), errno);
  return FileDir(fd, path(name));
}

FileDir::~FileDir() {
  ::close(fd_);
}

std::optional<std::string> FileDir::read(const std::string& name, std::size_t max_bytes) const {
  file_store_hooks::reads.fetch_add(1, std::memory_order_relaxed);
  Fd f{::openat(fd_, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)};
  if (f.fd < 0 && errno == ENOENT) return std::nullopt;
  if (f.fd < 0 && errno == ELOOP) throw SerializationError(path(name) + " is a symbolic link");
  struct stat st {};
  if (f.fd < 0 || ::fstat(f.fd, &st) != 0) throw_fs_error("read", path(name), errno);
  if (!S_ISREG(st.st_mode)) throw SerializationError(path(name) + " is not a regular file");
  auto size = static_cast<std::size_t>(st.st_size);
  if (size > max_bytes) {
    throw SerializationError(path(name) + " is " + std::to_string(size) + " bytes, more than the " +
                             std::to_string(max_bytes) + " accepted");
  }
  std::string out(size, '\0');
  std::size_t got = 0;
  while (got < size) {
    ssize_t n = ::pread(f.fd, out.data() + got, size - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_fs_error("read", path(name), errno);
    if (n == 0) break;  // it shrank meanwhile
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

std::optional<struct stat> FileDir::stat(const std::string& name) const {
  struct stat st {};
  if (::fstatat(fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return st;
  if (errno == ENOENT) return std::nullopt;
  throw_fs_error("stat", path(name), errno);
}

std::string FileDir::write_temp(std::string_view bytes, bool sync,
                                std::optional<Timestamp> mtime) const {
  std::string name;
  Fd f{-1};
  while (f.fd < 0) {
    name = std::to_string(::getpid()) + "." + std::to_string(g_temp_seq++) + ".tmp";
    f.fd = ::openat(fd_, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kFileMode);
    if (f.fd < 0 && errno != EEXIST) throw_fs_error("create", path(name), errno);
  }
  try {
    if (::fchmod(f.fd, kFileMode) != 0) throw_fs_error("chmod", path(name), errno);  // any umask
    while (!bytes.empty()) {
      ssize_t n = ::write(f.fd, bytes.data(), bytes.size());
      if (n < 0 && errno != EINTR) throw_fs_error("write", path(name), errno);
      if (n > 0) bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    auto us = mtime ? std::max<std::int64_t>(mtime->time_since_epoch().count(), 0) : 0;
    timespec times[2] = {{0, UTIME_OMIT}, {us / 1000000, us % 1000000 * 1000}};
    if (mtime && ::futimens(f.fd, times) != 0) throw_fs_error("set the time of", path(name), errno);
    if (sync && ::fdatasync(f.fd) != 0) throw_fs_error("sync", path(name), errno);
    if (::close(std::exchange(f.fd, -1)) != 0) throw_fs_error("write", path(name), errno);
  } catch (...) {
    ::unlinkat(fd_, name.c_str(), 0);
    throw;
  }
  return name;
}

bool FileDir::move(const std::string& name, const FileDir& to, const std::string& to_name) const {
  if (::renameat(fd_, name.c_str(), to.fd_, to_name.c_str()) == 0) return true;
  if (errno != ENOENT) throw_fs_error("rename " + path(name) + " to", to.path(to_name), errno);
  return false;
}

bool FileDir::remove(const std::string& name) const {
  if (::unlinkat(fd_, name.c_str(), 0) == 0) return true;
  if (errno != ENOENT) throw_fs_error("remove", path(name), errno);
  return false;
}

void FileDir::sync() const {
  if (::fsync(fd_) != 0) throw_fs_error("fsync directory", path_, errno);
}

std::vector<std::string> FileDir::list() const {
  file_store_hooks::listings.fetch_add(1, std::memory_order_relaxed);
  std::vector<std::string> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(path_, ec), end; !ec && it != end; it.increment(ec)) {
    out.push_back(it->path().filename().string());
  }
  if (ec) throw_fs_error("list", path_, ec.value());
  return out;
}

}  // namespace omniq
