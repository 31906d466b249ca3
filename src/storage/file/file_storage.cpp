// FileStorage's calls other than write() (file_write.cpp). Those over the
// whole queue list queue/ and read or stat its files: O(N), for dashboards
// and upkeep. Paused queues are files paused/<queue>.paused; workers live
// in one workers.json.
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>

#include "file_storage_impl.hpp"
#include "storage/storage_rules.hpp"

namespace omniq {
namespace {

constexpr std::initializer_list<Slot> kAnySlot = {Slot::waiting, Slot::running, Slot::done};
constexpr const char* kWorkersFile = "workers.json";

Timestamp mtime_of(const FileDir& dir, const std::string& name) {
  auto st = dir.stat(name);
  if (!st) return Timestamp::max();
  return Timestamp(std::chrono::seconds(st->st_mtim.tv_sec) +
                   std::chrono::microseconds(st->st_mtim.tv_nsec / 1000));
}

// The task files in queue/, in id (enqueue) order.
std::vector<FileName> task_files(const FileDir& queue) {
  std::vector<FileName> out;
  for (const std::string& name : queue.list()) {
    if (auto f = parse_file_name(name)) out.push_back(std::move(*f));
  }
  std::sort(out.begin(), out.end(),
            [](const FileName& a, const FileName& b) { return a.id < b.id; });
  return out;
}

// The worker in `v`, or nullopt if it is not one.
std::optional<WorkerInfo> worker_from(const Value& v) {
  try {
    return WorkerInfo{v.at("id"),
                      v.at("host"),
                      v.at("pid"),
                      v.at("queues").get<std::map<std::string, std::size_t>>(),
                      parse_time(v.at("started_at").get<std::string>()),
                      parse_time(v.at("seen_at").get<std::string>())};
  } catch (const std::exception&) {  // a JSON type error or a bad time
    return std::nullopt;
  }
}

// workers.json: worker id -> worker; {} when absent or unreadable.
Value read_workers(const FileDir& base) {
  try {
    auto bytes = base.read(kWorkersFile, kMaxRecordBytes);
    Value v = bytes ? Value::parse(*bytes) : Value::object();
    return v.is_object() ? v : Value::object();
  } catch (const std::exception&) {  // JSON that does not parse, a link
    return Value::object();
  }
}

}  // namespace

FileStorage::FileStorage(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

FileStorage::~FileStorage() = default;

CancelResult FileStorage::cancel(std::string_view id, Timestamp now) {
  validate_id(id);
  return impl_->locked(kChange, [&] {
    auto f = impl_->load(id, kAnySlot);
    if (!f) throw NotFoundError("no task with id " + std::string(id));
    Task& t = f->record.task;
    if (is_terminal(t.status)) return CancelResult::already_finished;
    if (t.status == TaskStatus::RUNNING && t.cancel_requested) return CancelResult::requested;
    CancelResult r = CancelResult::requested;
    if (t.status == TaskStatus::RUNNING) {
      t.cancel_requested = true;
    } else {
      transition(t, TaskStatus::CANCELLED, now);
      f->record.result = cancelled_result(t, now);
      r = CancelResult::cancelled;
    }
    std::vector<Impl::Change> changes{std::move(*f)};
    impl_->commit(changes);
    return r;
  });
}

std::vector<Applied> FileStorage::renew_leases(std::span<const Claim> claims, Timestamp until) {
  for (const Claim& c : claims) validate_id(c.task_id);
  return impl_->locked(kChange, [&] {
    std::vector<Applied> out;
    std::vector<Impl::Change> changes;
    for (const Claim& c : claims) {
      auto f = impl_->load(c.task_id, {Slot::running});
      Task* t = f ? &f->record.task : nullptr;
      if (!t || t->status != TaskStatus::RUNNING || t->attempts != c.attempt) {
        out.push_back(Applied::not_current);
        continue;
      }
      t->lease_expires_at = until;
      out.push_back(t->cancel_requested ? Applied::cancel_requested : Applied::yes);
      changes.push_back(std::move(*f));
    }
    impl_->commit(changes);
    return out;
  });
}

std::vector<Task> FileStorage::expired(Timestamp now, std::size_t limit) {
  return impl_->locked(kChange, [&] {
    std::vector<Task> out;
    for (const std::string& id : impl_->index.expired(now, limit)) {
      auto f = impl_->load(id, {Slot::running});
      const Task* t = f ? &f->record.task : nullptr;
      bool lost = t && t->lease_expires_at && *t->lease_expires_at < now;
      if (lost) out.push_back(*t);
      if (!lost) impl_->dirty.insert(id);  // the index was behind the file
    }
    return out;
  });
}

std::optional<Task> FileStorage::get_task(std::string_view id) {
  validate_id(id);
  return impl_->locked(kRead, [&] {
    auto f = impl_->load(id, kAnySlot);
    return f ? std::optional<Task>(std::move(f->record.task)) : std::nullopt;
  });
}

std::optional<TaskResult> FileStorage::get_result(std::string_view id) {
  validate_id(id);
  return impl_->locked(kRead, [&] {
    auto f = impl_->load(id, kAnySlot);
    return f ? std::move(f->record.result) : std::nullopt;
  });
}

std::vector<Task> FileStorage::list_tasks(const TaskFilter& filter) {
  return impl_->locked(kRead, [&] {
    std::vector<FileName> files = task_files(impl_->queue);
    if (filter.newest_first) std::reverse(files.begin(), files.end());
    std::vector<Task> out;
    std::size_t skipped = 0;
    for (std::size_t i = 0; i < files.size() && out.size() < filter.limit; ++i) {
      if (filter.status && slot_for(*filter.status) != files[i].slot) continue;
      auto f = impl_->load(files[i].id, {files[i].slot});
      const Task* t = f ? &f->record.task : nullptr;
      if (!t || (filter.status && t->status != *filter.status) ||
          (filter.func_path && t->func_path != *filter.func_path) ||
          (filter.queue && t->queue != *filter.queue) || skipped++ < filter.offset) {
        continue;
      }
      out.push_back(std::move(f->record.task));
    }
    return out;
  });
}

QueueStats FileStorage::stats() {
  return impl_->locked(kRead, [&] {
    QueueStats s;
    for (const FileName& file : task_files(impl_->queue)) {
      auto f = impl_->load(file.id, {file.slot});
      if (!f) continue;
      const Task& t = f->record.task;
      ++s.counts[static_cast<std::size_t>(t.status)];
      ++s.queues[t.queue][static_cast<std::size_t>(t.status)];
      if (is_waiting(t.status) && (!s.oldest_pending || t.created_at < *s.oldest_pending)) {
        s.oldest_pending = t.created_at;
      }
    }
    for (const std::string& name : impl_->paused.list()) {
      if (name.ends_with(".paused")) s.paused.push_back(name.substr(0, name.size() - 7));
    }
    std::sort(s.paused.begin(), s.paused.end());
    return s;
  });
}

std::optional<Timestamp> FileStorage::next_eta() {
  return impl_->locked(kChange, [&] { return impl_->index.next_eta(); });
}

std::size_t FileStorage::purge_results(Timestamp older_than) {
  return impl_->locked(kChange, [&] {
    std::size_t purged = 0;
    std::vector<Impl::Change> changes;
    for (const FileName& file : task_files(impl_->queue)) {
      std::string name = file_name(file.id, file.slot);
      bool old = mtime_of(impl_->queue, name) < older_than;  // see stamp_of()
      auto f = old ? impl_->load(file.id, {file.slot}) : std::nullopt;
      if (!f) continue;
      Record& r = f->record;
      bool dropped = r.result && r.result->finished_at < older_than;
      if (dropped) r.result.reset();
      purged += dropped ? 1 : 0;
      if (is_terminal(r.task.status) && r.task.updated_at < older_than && !r.result) {
        impl_->queue.remove(file_name(file.id, *f->from));
        impl_->touched.insert(file.id);
        impl_->index.erase(file.id);
      } else if (dropped) {
        changes.push_back(std::move(*f));
      }
    }
    impl_->commit(changes);
    if (impl_->durable()) impl_->queue.sync();
    return purged;
  });
}

void FileStorage::set_paused(std::string_view queue, bool paused) {
  validate_name(queue, "queue");
  impl_->locked(kChange, [&] {
    const FileDir& dir = impl_->paused;
    std::string name = std::string(queue) + ".paused";
    if (paused) impl_->tmp.move(impl_->tmp.write_temp("", false), dir, name);
    if (!paused) dir.remove(name);
    if (impl_->durable()) dir.sync();
  });
}

std::vector<std::size_t> FileStorage::finished_per_minute(Timestamp since, Timestamp until) {
  return impl_->locked(kRead, [&] {
    std::vector<std::size_t> counts(minutes_between(since, until));
    for (const FileName& file : task_files(impl_->queue)) {
      Timestamp stamp = mtime_of(impl_->queue, file_name(file.id, file.slot));
      auto f = stamp >= since && stamp < until ? impl_->load(file.id, {file.slot}) : std::nullopt;
      Timestamp at = f && f->record.result ? f->record.result->finished_at : until;
      if (at >= since && at < until) ++counts[minute_index(since, at)];
    }
    return counts;
  });
}

void FileStorage::record_worker(const WorkerInfo& w) {
  impl_->locked(kChange, [&] {
    Value all = read_workers(impl_->base);
    all[w.id] = Value{{"id", w.id},
                      {"host", w.host},
                      {"pid", w.pid},
                      {"queues", w.queues},
                      {"started_at", format_time(w.started_at)},
                      {"seen_at", format_time(w.seen_at)}};
    for (auto it = all.begin(); it != all.end();) {  // forget those long gone
      auto seen = worker_from(*it);
      it = seen && seen->seen_at >= w.seen_at - kWorkerMemory ? std::next(it) : all.erase(it);
    }
    impl_->tmp.move(impl_->tmp.write_temp(all.dump(), false), impl_->base, kWorkersFile);
  });
}

std::vector<WorkerInfo> FileStorage::workers(Timestamp since) {
  return impl_->locked(kRead, [&] {
    std::vector<WorkerInfo> out;
    for (const Value& v : read_workers(impl_->base)) {
      auto w = worker_from(v);
      if (w && w->seen_at >= since) out.push_back(std::move(*w));
    }
    return out;
  });
}

std::unique_ptr<ChangeWatch> FileStorage::watch() {
  std::vector<std::string> dirs{impl_->queue.path(), impl_->paused.path()};
  auto w = std::make_unique<Inotify>(dirs, IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE);
  return w->active() ? std::move(w) : nullptr;
}

void FileStorage::close() {
  std::lock_guard lock(impl_->mu);
  impl_->closed = true;
  impl_->events.reset();
  if (impl_->lock_fd >= 0) ::close(std::exchange(impl_->lock_fd, -1));
}

}  // namespace omniq
