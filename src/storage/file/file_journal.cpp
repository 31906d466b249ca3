#include "file_journal.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <fstream>

#include "file_frames.hpp"
#include "file_test_hooks.hpp"
#include "omniq/error.hpp"
#include "omniq/logging.hpp"

namespace omniq {
namespace {

constexpr std::string_view kSuffix = ".wal";
constexpr std::string_view kHeader = "omniq-journal 1 ";
constexpr const char* kMarkName = "mark";
constexpr const char* kLockName = "lock";
constexpr mode_t kFileMode = 0600;

std::atomic<std::uint64_t> g_journal_seq{0};

// A name no other store (here or in another process) uses.
std::string unique_name(std::string_view suffix) {
  return std::to_string(::getpid()) + "." + std::to_string(Journal::now_ns()) + "." +
         std::to_string(g_journal_seq.fetch_add(1)) + std::string(suffix);
}

void write_at(int fd, std::string_view bytes, std::size_t at, const std::string& path) {
  for (std::size_t done = 0; done < bytes.size();) {
    ssize_t n =
        ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(at + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_fs_error("write", path, errno);
    done += static_cast<std::size_t>(n);
  }
}

// A new file in `tmp`, 0600 and locked, holding `bytes` and synced, renamed
// to dir/name; returns its descriptor (keep = true) or closes it.
int publish_new(const FsDir& tmp, const FsDir& dir, const std::string& name, std::string_view bytes,
                bool keep) {
  std::string temp = unique_name(".j");
  int fd = ::openat(tmp.fd(), temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, kFileMode);
  if (fd < 0) throw_fs_error("create", tmp.path(temp), errno);
  try {
    if (::fchmod(fd, kFileMode) != 0) throw_fs_error("chmod", tmp.path(temp), errno);
    if (::flock(fd, LOCK_EX) != 0) throw_fs_error("lock", tmp.path(temp), errno);
    write_at(fd, bytes, 0, tmp.path(temp));
    if (::fdatasync(fd) != 0) throw_fs_error("sync", tmp.path(temp), errno);
    tmp.move(temp, dir, name);
    dir.sync();
  } catch (...) {
    ::close(fd);
    ::unlinkat(tmp.fd(), temp.c_str(), 0);
    throw;
  }
  if (!keep) ::close(fd);
  return keep ? fd : -1;
}

std::vector<JournalRecord> parse_records(std::string_view bytes, std::string& boot) {
  std::vector<JournalRecord> out;
  auto end = frames_end(bytes, FrameKind::journal);
  if (!end) throw SerializationError("no journal header");
  bool header = false;
  walk_frames(bytes, *end, 0, [&](const Frame& f) {
    if (f.kind == FrameKind::seal) {
      if (!f.payload.starts_with(kHeader)) throw SerializationError("not a journal header");
      boot = std::string(f.payload.substr(kHeader.size()));
      header = true;
      return false;
    }
    if (f.kind != FrameKind::journal) throw SerializationError("a task frame in a journal");
    auto nl = f.payload.find('\n');
    std::string_view head = f.payload.substr(0, nl);
    auto sp1 = head.find(' '), sp2 = head.rfind(' ');
    if (nl == std::string_view::npos || sp1 == sp2) throw SerializationError("bad record");
    JournalRecord r;
    r.id = std::string(head.substr(0, sp1));
    auto name = parse_record_name(r.id + "." + std::string(head.substr(sp1 + 1, sp2 - sp1 - 1)));
    std::string_view at = head.substr(sp2 + 1);
    auto [p, ec] = std::from_chars(at.data(), at.data() + at.size(), r.made_at);
    if (!name || ec != std::errc() || p != at.data() + at.size()) {
      throw SerializationError("bad record for " + r.id.substr(0, 64));
    }
    r.kind = name->kind;
    r.version = f.version;
    r.frames = std::string(f.payload.substr(nl + 1));
    out.push_back(std::move(r));
    return true;
  });
  if (!header) throw SerializationError("no journal header");
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace

std::string Journal::boot_id() {
  if (file_store_hooks::boot_id) return file_store_hooks::boot_id();
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

std::int64_t Journal::now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Journal::Journal(const FsDir& dir, const FsDir& tmp, const std::string& boot) : dir_(dir) {
  std::string header;
  append_frame(header, FrameKind::seal, 0, std::string(kHeader) + boot);
  name_ = unique_name(kSuffix);
  fd_ = publish_new(tmp, dir, name_, header, /*keep=*/true);
  header_ = size_ = header.size();
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

void Journal::commit(std::vector<JournalRecord>& records) {
  if (records.empty()) return;
  std::int64_t now = now_ns();
  std::string bytes;
  for (JournalRecord& r : records) {
    r.made_at = now;
    std::string payload = r.id + " " + std::string(suffix(r.kind)) + " " + std::to_string(now);
    payload += '\n';
    payload += r.frames;
    append_frame(bytes, FrameKind::journal, r.version, payload);
  }
  try {
    write_at(fd_, bytes, size_, dir_.path(name_));
    if (::fdatasync(fd_) != 0) throw_fs_error("sync", dir_.path(name_), errno);
  } catch (...) {
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      logger()->error("file store: cannot cut {} back after a failed write", dir_.path(name_));
    }
    throw;
  }
  size_ += bytes.size();
}

void Journal::reset() {
  if (::ftruncate(fd_, static_cast<off_t>(header_)) != 0) {
    throw_fs_error("truncate", dir_.path(name_), errno);
  }
  size_ = header_;
}

void Journal::discard() {
  dir_.remove(name_);
  ::close(fd_);
  fd_ = -1;
}

std::vector<Journal::Orphan> Journal::take_orphans(const FsDir& dir) {
  std::vector<Orphan> out;
  for (const FsDir::Entry& e : dir.list()) {
    if (!e.name.ends_with(kSuffix)) continue;
    int fd = ::openat(dir.fd(), e.name.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) continue;  // gone meanwhile, or not ours to read
    struct stat st {};
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || ::fstat(fd, &st) != 0 || st.st_nlink == 0 ||
        !S_ISREG(st.st_mode)) {
      ::close(fd);  // a live store's, or already dealt with
      continue;
    }
    Orphan o{e.name, fd, {}, {}};
    try {
      auto bytes = dir.read(e.name, static_cast<std::size_t>(st.st_size) + 1);
      o.records = parse_records(bytes ? *bytes : std::string(), o.boot);
    } catch (const Error& err) {
      logger()->error("file store: journal {} cannot be read ({}); leaving it alone",
                      dir.path(e.name), err.what());
      ::close(fd);
      continue;
    }
    out.push_back(std::move(o));
  }
  return out;
}

void Journal::remove(const FsDir& dir, Orphan& orphan) {
  dir.remove(orphan.name);
  ::close(orphan.fd);
  orphan.fd = -1;
}

std::optional<Journal::Mark> Journal::read_mark(const FsDir& dir) {
  auto bytes = dir.read(kMarkName, 4096);
  if (!bytes) return std::nullopt;
  auto end = frames_end(*bytes);
  if (!end) return std::nullopt;
  std::string_view payload = *bytes;
  payload = payload.substr(0, *end - kFooterBytes);
  auto sp = payload.rfind(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  Mark m{std::string(payload.substr(0, sp)), 0};
  std::string_view at = payload.substr(sp + 1);
  if (std::from_chars(at.data(), at.data() + at.size(), m.at).ec != std::errc())
    return std::nullopt;
  return m;
}

Journal::DirLock::DirLock(const FsDir& dir)
    : fd_(::openat(dir.fd(), kLockName, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, kFileMode)) {
  if (fd_ < 0) throw_fs_error("open", dir.path(kLockName), errno);
  int err = 0;
  if (::fchmod(fd_, kFileMode) != 0) {
    err = errno;
  } else {
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        err = errno;
        break;
      }
    }
  }
  if (err != 0) {
    ::close(fd_);
    throw_fs_error("lock", dir.path(kLockName), err);
  }
}

Journal::DirLock::~DirLock() {
  ::close(fd_);
}

void Journal::advance_mark(const FsDir& dir, const FsDir& tmp, const Mark& mark) {
  DirLock lock(dir);
  auto now = read_mark(dir);
  if (now && now->boot == mark.boot && now->at >= mark.at) return;
  std::string bytes;
  append_frame(bytes, FrameKind::seal, 0, mark.boot + " " + std::to_string(mark.at));
  publish_new(tmp, dir, kMarkName, bytes, /*keep=*/false);
}

}  // namespace omniq
