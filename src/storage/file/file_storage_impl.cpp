#include "file_storage_impl.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

#include "base/log_events.hpp"

namespace omniq {
namespace {

constexpr time_t kOrphanSeconds = 24 * 3600;  // no write takes that long: a temp file left over

void step(std::string_view what, const std::string& id) {
  if (file_store_hooks::step) file_store_hooks::step(what, id);
}

void remove_orphans(const FileDir& tmp) {
  for (const std::string& name : tmp.list()) {
    auto st = tmp.stat(name);  // its ctime: mtime may be a record's stamp
    if (st && st->st_ctime < ::time(nullptr) - kOrphanSeconds) tmp.remove(name);
  }
}

}  // namespace

Inotify::Inotify(const std::vector<std::string>& dirs, std::uint32_t mask)
    : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
  for (const std::string& dir : dirs) {
    if (fd_ >= 0 && ::inotify_add_watch(fd_, dir.c_str(), mask | IN_ONLYDIR) < 0) {
      ::close(std::exchange(fd_, -1));
    }
  }
  if (fd_ < 0) logger()->warn("file store: no inotify on {}: it is listed instead", dirs[0]);
}

bool Inotify::drain(const std::function<void(std::string_view)>& on_name) {
  bool complete = true;
  alignas(inotify_event) char buf[16384];
  for (;;) {
    ssize_t n = fd_ < 0 ? 0 : ::read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return complete;  // EAGAIN: nothing more
    for (char* p = buf; p < buf + n;) {
      inotify_event ev{};
      std::memcpy(&ev, p, sizeof ev);
      std::string_view name(p + sizeof(inotify_event), ev.len);
      p += sizeof(inotify_event) + ev.len;
      complete = complete && (ev.mask & IN_Q_OVERFLOW) == 0;
      if (ev.len > 0 && on_name) on_name(name.substr(0, name.find('\0')));
    }
  }
}

FileStorage::Impl::Impl(Options options)
    : opt(std::move(options)),
      serializer(opt.serializer ? opt.serializer : make_serializer("json")),
      base(FileDir::open(opt.base_dir)),
      queue(base.sub("queue")),
      tmp(base.sub("tmp")),
      corrupt(base.sub("corrupt")),
      paused(base.sub("paused")) {
  lock_fd = ::openat(base.fd(), "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lock_fd < 0 || ::fchmod(lock_fd, 0600) != 0) throw_fs_error("open", base.path("lock"), errno);
  events = std::make_unique<Inotify>(std::vector<std::string>{queue.path()},
                                     IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE);
  remove_orphans(tmp);
}

void FileStorage::Impl::lock_file(int how) {
  while (::flock(lock_fd, how) != 0) {
    if (errno != EINTR) throw_fs_error("lock", base.path("lock"), errno);
  }
}

void FileStorage::Impl::catch_up() {
  note_events();
  auto now = std::chrono::steady_clock::now();
  if (rescan || (!events->active() && now - scanned >= opt.rescan_interval)) {
    index.clear();  // every task file is dirty
    for (const std::string& name : queue.list()) {
      if (auto f = parse_file_name(name)) dirty.insert(std::move(f->id));
    }
    rescan = false;
    scanned = now;
  }
  for (const std::string& id : std::exchange(dirty, {})) {
    auto f = load(id, {Slot::waiting, Slot::running, Slot::done});
    if (f) index.put(f->record.task);
    if (!f) index.erase(id);
  }
}

void FileStorage::Impl::note_events() {
  bool complete = events && events->drain([this](std::string_view name) {
    auto f = parse_file_name(name);
    if (f && touched.count(f->id) == 0) dirty.insert(f->id);
  });
  rescan = rescan || !complete;
  touched.clear();
}

std::optional<FileStorage::Impl::Change> FileStorage::Impl::load(
    std::string_view id, std::initializer_list<Slot> slots) {
  for (Slot slot : slots) {
    std::string name = file_name(id, slot);
    std::optional<Record> r;
    try {
      auto bytes = queue.read(name, kMaxRecordBytes);
      if (!bytes) continue;
      r = decode_record(*bytes, id, *serializer);
    } catch (const SerializationError& e) {
      quarantine(name, e.what());
      continue;
    }
    Slot fits = slot_for(r->task.status);
    if (fits != slot && queue.move(name, queue, file_name(id, fits))) {
      touched.emplace(id);  // a change cut short between its renames: the record wins
      logger()->info("file store {}: renamed {} to fit its record", base.path(), name);
    }
    return Change{std::move(*r), fits};
  }
  return std::nullopt;
}

void FileStorage::Impl::quarantine(const std::string& name, std::string_view why) {
  if (!queue.move(name, corrupt, name)) return;  // another reader did
  if (auto f = parse_file_name(name)) touched.insert(f->id);
  logger()->warn("file store {}: moved {} to corrupt/: {}", base.path(), name, why);
}

void FileStorage::Impl::commit(std::vector<Change>& changes) {
  try {
    for (Change& c : changes) {
      c.temp = tmp.write_temp(encode_record(c.record, *serializer), durable(), stamp_of(c.record));
    }
    for (Change& c : changes) {  // the new record under the old name, then the name that fits
      const std::string& id = c.record.task.id;
      Slot to = slot_for(c.record.task.status);
      std::string name = file_name(id, c.from.value_or(to));
      touched.insert(id);
      tmp.move(std::exchange(c.temp, ""), queue, name);
      index.put(c.record.task);
      step(c.from ? "written" : "added", id);
      if (!c.from || *c.from == to) continue;
      queue.move(name, queue, file_name(id, to));
      step("renamed", id);
    }
  } catch (...) {
    for (const Change& c : changes) ::unlinkat(tmp.fd(), c.temp.c_str(), 0);
    throw;
  }
  if (durable() && !changes.empty()) queue.sync();
}

}  // namespace omniq
