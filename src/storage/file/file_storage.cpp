// FileStorage: the Storage methods over FileStorage::Impl (file_storage_impl.hpp).
#include "omniq/file_storage.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include "file_frames.hpp"
#include "file_storage_impl.hpp"
#include "fs_temp_files.hpp"
#include "omniq/error.hpp"
#include "storage_rules.hpp"

namespace omniq {
namespace {

// The ids of `claims`, each validated before it becomes a path.
std::vector<std::string> ids_of(std::span<const Claim> claims) {
  std::vector<std::string> ids;
  for (const Claim& c : claims) {
    validate_id(c.task_id);
    ids.push_back(c.task_id);
  }
  return ids;
}

// True when `f` holds the claim of attempt `attempt`: RUNNING under it, not
// recovered and claimed again since.
bool holds_claim(const std::optional<LockedRecord>& f, int attempt) {
  return f && f->file.record.task.status == TaskStatus::RUNNING &&
         f->file.record.task.attempts == attempt;
}

}  // namespace

FileStorage::FileStorage(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

FileStorage::~FileStorage() {
  if (!impl_->closed) impl_->shut();
}

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
  TempFiles temps(files.tmp());
  std::vector<JournalRecord> records;
  for (const Task& t : tasks) {
    std::string record = files.encode(TaskRecord{t, false});
    temps.add(encode_task_file(record, std::nullopt, 1));
    if (!files.durable()) continue;
    records.push_back({t.id, kind_for(t.status), 1, {}, 0});
    append_frame(records.back().frames, FrameKind::task, 1, record);
  }
  std::vector<std::string> published;
  try {
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      std::string name = record_name(tasks[i].id, kind_for(tasks[i].status));
      if (!temps.publish(i, files.queue(), name, /*noreplace=*/true)) {
        throw ValidationError("a task with id " + tasks[i].id + " exists already");
      }
      published.push_back(std::move(name));
    }
    files.commit(records);
  } catch (...) {
    for (const std::string& name : published) files.queue().remove(name);
    throw;
  }
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
  TaskRecord r = h.file->file.record;
  apply_claim(r.task, now, lease);
  r.cancel_requested = false;
  Task out = r.task;
  impl_->put_back(h, sid, std::move(r), std::nullopt, /*durable=*/false);  // a claim
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
  for_each_running(
      impl_->files, ids, /*sync=*/true, /*skip_busy=*/false,
      [&](std::size_t i, std::optional<LockedRecord> f, RunningBatch& batch) {
        const Outcome& o = outcomes[i];
        if (!holds_claim(f, o.attempt)) return;  // not the current claim: changes nothing
        RunningBatch::Change c;
        c.record = f->file.record;
        apply_outcome(c.record->task, o);
        c.record->cancel_requested = false;
        c.dest = kind_for(c.record->task.status);
        if (o.result) {
          c.result = o.result;
          c.result_change = ResultChange::set;
        }
        if (c.dest == RecordKind::waiting) waiting.push_back(c.record->task);
        batch.add(std::move(*f), ids[i], std::move(c));
        applied[i] = true;
      },
      &impl_->cache);
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
  TaskRecord r = h.file->file.record;
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
  TaskRecord r = h.file->file.record;
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
  std::vector<std::string> ids = ids_of(claims);
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::vector<Claim> stop;
  for_each_running(
      impl_->files, ids, /*sync=*/false, /*skip_busy=*/false,
      [&](std::size_t i, std::optional<LockedRecord> f, RunningBatch& batch) {
        if (!holds_claim(f, claims[i].attempt)) {
          stop.push_back(claims[i]);
          return;
        }
        if (f->file.record.cancel_requested) stop.push_back(claims[i]);
        RunningBatch::Change c;
        c.record = f->file.record;
        c.record->task.lease_expires_at = until;
        c.keep_open = true;
        batch.add(std::move(*f), ids[i], std::move(c));
      },
      &impl_->cache);
  return stop;
}

void FileStorage::release(std::span<const Claim> claims, Timestamp now) {
  std::vector<std::string> ids = ids_of(claims);
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::vector<Task> released;
  for_each_running(
      impl_->files, ids, /*sync=*/true, /*skip_busy=*/false,
      [&](std::size_t i, std::optional<LockedRecord> f, RunningBatch& batch) {
        if (!holds_claim(f, claims[i].attempt)) return;
        RunningBatch::Change c;
        c.record = f->file.record;
        apply_release(c.record->task, now);
        c.record->cancel_requested = false;
        c.dest = RecordKind::waiting;
        released.push_back(c.record->task);
        batch.add(std::move(*f), ids[i], std::move(c));
      },
      &impl_->cache);
  for (const Task& t : released) impl_->claimer.added(t);
  if (!released.empty()) impl_->changed();
}

std::optional<Task> FileStorage::get_task(std::string_view id) {
  validate_id(id);
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  auto f = impl_->files.find(std::string(id));
  if (!f) return std::nullopt;
  return std::move(f->record.task);
}

std::optional<TaskResult> FileStorage::get_result(std::string_view id) {
  validate_id(id);
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::string sid(id);
  return impl_->files.result_of(sid, impl_->files.find(sid));
}

std::vector<Task> FileStorage::list_tasks(const TaskFilter& filter) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::vector<Task> matches;
  impl_->for_each_task([&](TaskFile& f) {
    Task& t = f.record.task;
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
  impl_->for_each_task([&](const TaskFile& f) {
    const Task& t = f.record.task;
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
  return impl_->purge(older_than);
}

std::size_t FileStorage::recover_expired(Timestamp now) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  return impl_->recover(now);
}

std::uint64_t FileStorage::change_counter() {
  impl_->check_open();
  return impl_->changes.load(std::memory_order_relaxed) + impl_->claimer.arrivals();
}

void FileStorage::close() {
  std::lock_guard lock(impl_->mu);
  if (!impl_->closed) impl_->shut();
}

}  // namespace omniq
