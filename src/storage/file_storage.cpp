// FileStorage: the Storage contract over TaskFiles (layout and records),
// FileClaimer (due index and claims) and RunningBatch (every change to a task
// file made under the lock of its queue/<id>.running name).
//
// A task is in exactly one of queue/<id>.task, .running, .done at any time.
// Every transition goes through the .running name: a waiting task is first
// taken out of claimers' reach by renaming it there (the claim's own rename),
// then locked, rewritten and moved on. A .running file whose content is not
// RUNNING is such a move in progress; if its owner died, recover_expired
// finishes it after Options::claim_grace.
#include "omniq/file_storage.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <tuple>

#include "file_claimer.hpp"
#include "file_running_batch.hpp"
#include "file_task_files.hpp"
#include "fs_temp_files.hpp"
#include "omniq/error.hpp"
#include "omniq/logging.hpp"
#include "storage_rules.hpp"

namespace omniq {

struct FileStorage::Impl {
  Options opts;
  TaskFiles files;
  FileClaimer claimer;
  std::mutex mu;
  std::atomic<bool> closed{false};
  std::atomic<std::uint64_t> changes{0};

  explicit Impl(Options o)
      : opts(std::move(o)),
        files(opts.base_dir, opts.durability, opts.serializer),
        claimer(files, opts.rescan_interval) {}

  void check_open() const {
    if (closed.load()) throw StorageError("file store at " + opts.base_dir + " is closed");
  }
  void changed() { changes.fetch_add(1, std::memory_order_relaxed); }

  void check_new(const Task& t) const {
    validate_task(t);
    for (RecordKind k : {RecordKind::waiting, RecordKind::running, RecordKind::done}) {
      if (files.queue().exists(record_name(t.id, k))) {
        throw ValidationError("a task with id " + t.id + " exists already");
      }
    }
  }

  // The task `id`, locked at its .running name, a waiting one taken there
  // first; or, for a finished task, its .done record (nothing held). Throws
  // NotFoundError.
  struct Held {
    std::optional<LockedRecord> running;
    std::optional<TaskRecord> done;
    const Task& task() const { return running ? running->record.task : done->task; }
  };
  Held hold(const std::string& id) {
    const FsDir& q = files.queue();
    for (int round = 0; round < 4; ++round) {
      q.move(record_name(id, RecordKind::waiting), q, record_name(id, RecordKind::running), true);
      if (auto f = lock_running(files, id)) {
        if (is_waiting(f->record.task.status)) claimer.removed(id);
        return Held{std::move(f), std::nullopt};
      }
      if (auto d = files.read(id, RecordKind::done)) return Held{std::nullopt, std::move(d)};
    }
    throw NotFoundError("no task with id " + id);
  }

  // Writes one held task back: rewritten with `record`, moved to where its status belongs.
  void put_back(Held& h, const std::string& id, TaskRecord record,
                std::optional<TaskResult> result = std::nullopt) {
    RecordKind dest = kind_for(record.task.status);
    RecordKind origin = kind_for(h.running->record.task.status);
    Task task = record.task;
    RunningBatch batch(files);
    batch.add(std::move(h.running->lock), id, std::move(record), dest, std::move(result), origin);
    batch.commit(dest != RecordKind::running);
    if (dest == RecordKind::waiting) claimer.added(task);
    changed();
  }

  // Scans the task files: f(record) for each task, once per id.
  template <class F>
  void for_each_task(F&& f) {
    std::set<std::string> seen;
    for (const RecordName& n : files.list_queue()) {
      if (seen.count(n.id) != 0) continue;
      auto r = files.read(n.id, n.kind);
      if (!r) continue;
      seen.insert(n.id);
      f(r->task);
    }
  }
};

FileStorage::FileStorage(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
FileStorage::~FileStorage() = default;

std::string FileStorage::enqueue(const Task& task) {
  return enqueue_many({&task, 1}).front();
}

std::vector<std::string> FileStorage::enqueue_many(std::span<const Task> tasks) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::set<std::string_view> ids;
  for (const Task& t : tasks) {  // all or none: check everything first
    impl_->check_new(t);
    if (!ids.insert(t.id).second) throw ValidationError("task id " + t.id + " appears twice");
  }
  TaskFiles& files = impl_->files;
  TempFiles temps(files.tmp(), files.durable());
  for (const Task& t : tasks) temps.add(files.encode(TaskRecord{t, false}));
  temps.sync();
  std::vector<std::string> published;
  try {
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      std::string name = record_name(tasks[i].id, kind_for(tasks[i].status));
      if (!temps.publish(i, files.queue(), name, /*noreplace=*/true)) {
        throw ValidationError("a task with id " + tasks[i].id + " exists already");
      }
      published.push_back(std::move(name));
    }
  } catch (...) {
    for (const std::string& name : published) files.queue().remove(name);
    throw;
  }
  if (files.durable()) files.queue().sync();
  std::vector<std::string> out;
  out.reserve(tasks.size());
  for (const Task& t : tasks) {
    if (is_waiting(t.status)) impl_->claimer.added(t);
    out.push_back(t.id);
  }
  impl_->changed();
  return out;
}

std::vector<Task> FileStorage::dequeue_many(Timestamp now, std::size_t n, Duration lease) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  auto out = impl_->claimer.claim_due(now, n, lease);
  if (!out.empty()) impl_->changed();
  return out;
}

Task FileStorage::mark_running(std::string_view id, Timestamp now, Duration lease) {
  validate_id(id);
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::string sid(id);
  Impl::Held h = impl_->hold(sid);
  if (h.task().status == TaskStatus::RUNNING) return h.task();
  check_transition(h.task().status, TaskStatus::RUNNING);
  TaskRecord r = h.running->record;
  apply_claim(r.task, now, lease);
  r.cancel_requested = false;
  Task out = r.task;
  impl_->put_back(h, sid, std::move(r));
  return out;
}

std::vector<bool> FileStorage::finish_many(std::span<const Outcome> outcomes) {
  for (const Outcome& o : outcomes) check_outcome(o);
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::vector<std::string> ids;
  for (const Outcome& o : outcomes) ids.push_back(o.task_id);
  std::vector<bool> applied(outcomes.size(), false);
  std::vector<Task> waiting;
  for_each_running(impl_->files, ids, /*sync_queue=*/true, /*skip_busy=*/false,
                   [&](std::size_t i, std::optional<LockedRecord> f, RunningBatch& batch) {
                     const Outcome& o = outcomes[i];
                     if (!f || f->record.task.status != TaskStatus::RUNNING ||
                         f->record.task.attempts != o.attempt) {
                       return;  // not the current claim: changes nothing
                     }
                     apply_outcome(f->record.task, o);
                     f->record.cancel_requested = false;
                     RecordKind dest = kind_for(f->record.task.status);
                     if (dest == RecordKind::waiting) waiting.push_back(f->record.task);
                     batch.add(std::move(f->lock), ids[i], std::move(f->record), dest, o.result);
                     applied[i] = true;
                   });
  for (const Task& t : waiting) impl_->claimer.added(t);
  if (std::find(applied.begin(), applied.end(), true) != applied.end()) impl_->changed();
  return applied;
}

void FileStorage::reschedule(std::string_view id, Timestamp new_eta) {
  validate_id(id);
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::string sid(id);
  Impl::Held h = impl_->hold(sid);
  check_reschedulable(h.task());
  TaskRecord r = h.running->record;
  r.task.schedule.eta = new_eta;
  impl_->put_back(h, sid, std::move(r));
}

CancelResult FileStorage::cancel(std::string_view id, Timestamp now) {
  validate_id(id);
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::string sid(id);
  Impl::Held h = impl_->hold(sid);
  TaskStatus s = h.task().status;
  if (is_terminal(s)) return CancelResult::already_finished;
  TaskRecord r = h.running->record;
  if (s == TaskStatus::RUNNING) {
    if (!r.cancel_requested) {
      r.cancel_requested = true;
      impl_->put_back(h, sid, std::move(r));
    }
    return CancelResult::requested;
  }
  transition(r.task, TaskStatus::CANCELLED, now);
  TaskResult result = cancelled_result(r.task, now);
  impl_->put_back(h, sid, std::move(r), std::move(result));
  return CancelResult::cancelled;
}

std::vector<Claim> FileStorage::renew_leases(std::span<const Claim> claims, Timestamp until) {
  std::vector<std::string> ids;
  for (const Claim& c : claims) {
    validate_id(c.task_id);
    ids.push_back(c.task_id);
  }
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::vector<Claim> stop;
  for_each_running(impl_->files, ids, /*sync_queue=*/false, /*skip_busy=*/false,
                   [&](std::size_t i, std::optional<LockedRecord> f, RunningBatch& batch) {
                     if (!f || f->record.task.status != TaskStatus::RUNNING ||
                         f->record.task.attempts != claims[i].attempt) {
                       stop.push_back(claims[i]);
                       return;
                     }
                     if (f->record.cancel_requested) stop.push_back(claims[i]);
                     f->record.task.lease_expires_at = until;
                     batch.add(std::move(f->lock), ids[i], std::move(f->record),
                               RecordKind::running);
                   });
  return stop;
}

void FileStorage::release(std::span<const Claim> claims, Timestamp now) {
  std::vector<std::string> ids;
  for (const Claim& c : claims) {
    validate_id(c.task_id);
    ids.push_back(c.task_id);
  }
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::vector<Task> released;
  for_each_running(impl_->files, ids, /*sync_queue=*/true, /*skip_busy=*/false,
                   [&](std::size_t i, std::optional<LockedRecord> f, RunningBatch& batch) {
                     if (!f || f->record.task.status != TaskStatus::RUNNING ||
                         f->record.task.attempts != claims[i].attempt) {
                       return;
                     }
                     apply_release(f->record.task, now);
                     f->record.cancel_requested = false;
                     released.push_back(f->record.task);
                     batch.add(std::move(f->lock), ids[i], std::move(f->record),
                               RecordKind::waiting);
                   });
  for (const Task& t : released) impl_->claimer.added(t);
  if (!released.empty()) impl_->changed();
}

std::optional<Task> FileStorage::get_task(std::string_view id) {
  validate_id(id);
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  auto r = impl_->files.find(std::string(id));
  if (!r) return std::nullopt;
  return std::move(r->task);
}

std::optional<TaskResult> FileStorage::get_result(std::string_view id) {
  validate_id(id);
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  return impl_->files.read_result(std::string(id));
}

std::vector<Task> FileStorage::list_tasks(const TaskFilter& filter) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::vector<Task> matches;
  impl_->for_each_task([&](Task& t) {
    if (filter.status && t.status != *filter.status) return;
    if (filter.func_path && t.func_path != *filter.func_path) return;
    matches.push_back(std::move(t));
  });
  std::sort(matches.begin(), matches.end(), [](const Task& a, const Task& b) {
    return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
  });
  std::vector<Task> out;
  for (std::size_t i = filter.offset; i < matches.size() && out.size() < filter.limit; ++i) {
    out.push_back(std::move(matches[i]));
  }
  return out;
}

QueueStats FileStorage::stats() {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  QueueStats s;
  impl_->for_each_task([&](const Task& t) {
    ++s.counts[static_cast<std::size_t>(t.status)];
    if (is_waiting(t.status) && (!s.oldest_pending || t.created_at < *s.oldest_pending)) {
      s.oldest_pending = t.created_at;
    }
  });
  return s;
}

std::optional<Timestamp> FileStorage::next_eta() {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  return impl_->claimer.next_eta();
}

std::size_t FileStorage::purge_results(Timestamp older_than) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  TaskFiles& files = impl_->files;
  std::size_t purged = 0;
  for (const std::string& id : files.list_results()) {
    auto r = files.read_result(id);
    if (r && r->finished_at < older_than && files.results().remove(result_name(id))) ++purged;
  }
  bool removed_tasks = false;
  for (const RecordName& n : files.list_queue()) {
    if (n.kind != RecordKind::done) continue;
    auto r = files.read(n.id, n.kind);
    if (!r || r->task.updated_at >= older_than || files.results().exists(result_name(n.id))) {
      continue;
    }
    removed_tasks |= files.queue().remove(record_name(n.id, n.kind));
  }
  if (files.durable()) {
    if (purged > 0) files.results().sync();
    if (removed_tasks) files.queue().sync();
  }
  if (purged > 0 || removed_tasks) impl_->changed();
  return purged;
}

std::size_t FileStorage::recover_expired(Timestamp now) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::vector<std::string> ids;
  for (const RecordName& n : impl_->files.list_queue()) {
    if (n.kind == RecordKind::running) ids.push_back(n.id);
  }
  auto wall_now = std::chrono::system_clock::now();
  std::size_t recovered = 0;
  std::vector<Task> waiting;
  // Busy files are being changed by their owner right now: not expired.
  for_each_running(
      impl_->files, ids, /*sync_queue=*/true, /*skip_busy=*/true,
      [&](std::size_t i, std::optional<LockedRecord> f, RunningBatch& batch) {
        if (!f) return;
        Task& t = f->record.task;
        std::optional<TaskResult> result;
        if (t.status == TaskStatus::RUNNING) {
          if (t.lease_expires_at && *t.lease_expires_at >= now) return;  // still live
          result = apply_recovery(t, now);
          f->record.cancel_requested = false;
          batch.add(std::move(f->lock), ids[i], std::move(f->record), kind_for(t.status),
                    std::move(result));
        } else {
          // A move whose owner stopped between its rename and its rewrite (or
          // its rewrite and its rename on): finish it once past the grace.
          const timespec& c = f->lock.stat().st_ctim;
          auto changed = std::chrono::system_clock::time_point(std::chrono::seconds(c.tv_sec) +
                                                               std::chrono::nanoseconds(c.tv_nsec));
          if (wall_now - changed < impl_->opts.claim_grace) return;
          logger()->warn("file store: {} was left mid-move ({}); moving it to .{}",
                         impl_->files.queue().path(record_name(ids[i], RecordKind::running)),
                         to_string(t.status), suffix(kind_for(t.status)));
          batch.add(std::move(f->lock), ids[i], std::nullopt, kind_for(t.status));
        }
        if (is_waiting(t.status)) waiting.push_back(t);
        ++recovered;
      });
  for (const Task& t : waiting) impl_->claimer.added(t);
  if (recovered > 0) impl_->changed();
  return recovered;
}

std::uint64_t FileStorage::change_counter() {
  impl_->check_open();
  return impl_->changes.load(std::memory_order_relaxed) + impl_->claimer.arrivals();
}

void FileStorage::close() {
  std::lock_guard lock(impl_->mu);
  impl_->closed = true;
  impl_->claimer.close();
}

}  // namespace omniq
