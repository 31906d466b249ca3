#include "fs_temp_files.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <ctime>

#include "omniq/error.hpp"

namespace omniq {
namespace {

constexpr mode_t kFileMode = 0600;
constexpr long kOrphanAgeSeconds = 3600;

std::atomic<std::uint64_t> g_temp_seq{0};

void write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_fs_error("write", path, errno);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

TempFiles::TempFiles(const FsDir& tmp) : tmp_(tmp), prefix_(std::to_string(::getpid()) + ".") {}

TempFiles::~TempFiles() {
  for (File& f : files_) {
    close_fd(f);
    if (!f.published) ::unlinkat(tmp_.fd(), f.name.c_str(), 0);
  }
}

void TempFiles::close_fd(File& f) {
  if (f.fd >= 0) ::close(f.fd);
  f.fd = -1;
}

std::size_t TempFiles::add(std::string_view bytes, bool lock) {
  File f;
  for (;;) {
    f.name = prefix_ + std::to_string(g_temp_seq.fetch_add(1)) + ".tmp";
    f.fd = ::openat(tmp_.fd(), f.name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kFileMode);
    if (f.fd >= 0) break;
    if (errno != EEXIST) throw_fs_error("create", tmp_.path(f.name), errno);
  }
  files_.push_back(f);  // from here on the destructor removes it
  File& added = files_.back();
  // 0600 whatever the umask (which may change while the process runs).
  if (::fchmod(added.fd, kFileMode) != 0) {
    throw_fs_error("chmod", tmp_.path(added.name), errno);
  }
  if (lock) {
    // A file nobody else can have opened yet: this never waits.
    if (::flock(added.fd, LOCK_EX) != 0) throw_fs_error("lock", tmp_.path(added.name), errno);
  }
  write_all(added.fd, bytes, tmp_.path(added.name));
  if (!lock) close_fd(added);
  return files_.size() - 1;
}

bool TempFiles::publish(std::size_t i, const FsDir& dir, const std::string& name, bool noreplace) {
  File& f = files_.at(i);
  if (tmp_.move(f.name, dir, name, noreplace) != FsDir::Move::moved) return false;
  f.published = true;
  return true;
}

void TempFiles::sync_locked() {
  for (File& f : files_) {
    if (f.fd >= 0 && !f.published && ::fdatasync(f.fd) != 0) {
      throw_fs_error("sync", tmp_.path(f.name), errno);
    }
  }
}

void TempFiles::remove_orphans(const FsDir& tmp) {
  for (const FsDir::Entry& e : tmp.list()) {
    int pid = 0;
    auto [end, ec] = std::from_chars(e.name.data(), e.name.data() + e.name.size(), pid);
    if (ec != std::errc() || pid <= 0 || *end != '.') continue;
    // Only old files of dead processes: a process in another pid namespace may share the store.
    auto st = tmp.stat(e.name);
    if (!st || st->st_mtime > ::time(nullptr) - kOrphanAgeSeconds) continue;
    if (::kill(pid, 0) != 0 && errno == ESRCH) ::unlinkat(tmp.fd(), e.name.c_str(), 0);
  }
}

}  // namespace omniq
