#include "file_storage_impl.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "omniq/error.hpp"
#include "omniq/logging.hpp"
#include "storage_rules.hpp"

namespace omniq {
namespace {

// Rounds of looking for a task that moves between names meanwhile.
constexpr int kHoldRounds = 4;

bool old_result(TaskFiles& files, const std::string& id, const TaskFile& f, Timestamp older_than) {
  if (!f.result) return false;
  auto r = files.result_of(id, f);
  return r && r->finished_at < older_than;
}

}  // namespace

FileStorage::Impl::Impl(Options o)
    : opts(std::move(o)),
      files(opts.base_dir, opts.durability, opts.serializer),
      claimer(files, cache, opts.rescan_interval) {}

void FileStorage::Impl::check_open() const {
  if (closed.load()) throw StorageError("file store at " + opts.base_dir + " is closed");
}

void FileStorage::Impl::check_new(const Task& t) const {
  validate_task(t);
  RecordKind own = kind_for(t.status);  // that name is claimed without replacing
  for (RecordKind k : {RecordKind::waiting, RecordKind::running, RecordKind::done}) {
    if (k != own && files.queue().exists(record_name(t.id, k))) {
      throw ValidationError("a task with id " + t.id + " exists already");
    }
  }
}

FileStorage::Impl::Held FileStorage::Impl::hold(const std::string& id) {
  for (int round = 0; round < kHoldRounds; ++round) {
    for (RecordKind k : {RecordKind::waiting, RecordKind::running}) {
      auto f = lock_file(files, id, k);
      if (!f) continue;
      if (!f->file.fits) {  // left by a crash: let a plain read move it where it fits
        f.reset();
        files.read(id, k);
        break;
      }
      return Held{std::move(f), k, std::nullopt};
    }
    if (auto d = files.read(id, RecordKind::done)) return Held{std::nullopt, RecordKind::done, d};
  }
  throw NotFoundError("no task with id " + id);
}

void FileStorage::Impl::put_back(Held& h, const std::string& id, TaskRecord record,
                                 std::optional<TaskResult> result, bool durable) {
  RunningBatch::Change c;
  c.dest = kind_for(record.task.status);
  c.at = c.origin = h.at;
  // A claim made in .task counts only once renamed (see FileClaimer).
  c.claim = h.at == RecordKind::waiting && c.dest == RecordKind::running;
  if (result) {
    c.result = std::move(result);
    c.result_change = ResultChange::set;
  }
  Task task = record.task;
  c.record = std::move(record);
  RunningBatch batch(files);
  batch.add(std::move(*h.file), id, std::move(c));
  batch.commit(durable);
  if (is_waiting(task.status)) {
    claimer.added(task);
  } else if (h.at == RecordKind::waiting) {
    claimer.removed(id);
  }
  changed();
}

std::size_t FileStorage::Impl::purge(Timestamp older_than) {
  std::size_t purged = 0;
  bool removed = false;
  for (const std::string& id : files.list_results()) {  // an earlier version's results
    auto r = files.read_result_file(id);
    if (r && r->finished_at < older_than && files.results().remove(result_name(id))) ++purged;
  }
  const FsDir& queue = files.queue();
  for (const RecordName& n : files.list_queue()) {
    auto f = files.read(n.id, n.kind);
    if (!f) continue;
    bool result_goes = old_result(files, n.id, *f, older_than);
    bool result_stays = (f->result && !result_goes) || files.results().exists(result_name(n.id));
    if (n.kind == RecordKind::done && f->record.task.updated_at < older_than && !result_stays) {
      if (queue.remove(record_name(n.id, n.kind))) {
        removed = true;
        purged += result_goes ? 1 : 0;
      }
    } else if (result_goes) {  // the task stays: clear its result
      auto locked = lock_file(files, n.id, n.kind);
      if (!locked || !old_result(files, n.id, locked->file, older_than)) continue;
      RunningBatch::Change c;
      c.result_change = ResultChange::clear;
      c.at = c.origin = c.dest = n.kind;
      RunningBatch batch(files);
      batch.add(std::move(*locked), n.id, std::move(c));
      batch.commit(/*sync=*/true);
      ++purged;
    }
  }
  // Deletions are durable, and no journal record older than them is replayed.
  if (removed) files.checkpoint();
  if (purged > 0 || removed) changed();
  return purged;
}

std::size_t FileStorage::Impl::recover(Timestamp now) {
  files.recover_journals();
  std::vector<std::string> ids;
  for (const RecordName& n : files.list_queue()) {
    if (n.kind == RecordKind::running) ids.push_back(n.id);
  }
  auto wall_now = std::chrono::system_clock::now();
  std::size_t recovered = 0;
  std::vector<Task> waiting;
  // Busy files are being changed by their owner right now: not expired.
  for_each_running(
      files, ids, /*sync=*/true, /*skip_busy=*/true,
      [&](std::size_t i, std::optional<LockedRecord> f, RunningBatch& batch) {
        if (!f) return;
        Task& t = f->file.record.task;
        RunningBatch::Change c;
        c.dest = kind_for(t.status);
        if (t.status == TaskStatus::RUNNING) {
          if (t.lease_expires_at && *t.lease_expires_at >= now) return;  // still live
          TaskRecord r = f->file.record;
          if (auto result = apply_recovery(r.task, now)) {
            c.result = std::move(result);
            c.result_change = ResultChange::set;
          }
          r.cancel_requested = false;
          c.dest = kind_for(r.task.status);
          c.record = std::move(r);
        } else {
          // A move whose owner stopped between its write and its rename:
          // finish it once past the grace.
          const timespec& ct = f->lock.stat().st_ctim;
          auto changed_at = std::chrono::system_clock::time_point(
              std::chrono::duration_cast<std::chrono::system_clock::duration>(
                  std::chrono::seconds(ct.tv_sec) + std::chrono::nanoseconds(ct.tv_nsec)));
          if (wall_now - changed_at < opts.claim_grace) return;
          logger()->warn("file store: {} was left mid-move ({}); moving it to .{}",
                         files.queue().path(record_name(ids[i], RecordKind::running)),
                         to_string(t.status), suffix(c.dest));
        }
        if (c.record && is_waiting(c.record->task.status)) waiting.push_back(c.record->task);
        if (!c.record && is_waiting(t.status)) waiting.push_back(t);
        batch.add(std::move(*f), ids[i], std::move(c));
        ++recovered;
      },
      &cache);
  for (const Task& t : waiting) claimer.added(t);
  if (recovered > 0) changed();
  return recovered;
}

void FileStorage::Impl::shut() noexcept {
  closed = true;
  claimer.close();
  cache.clear();
  files.retire_journal();
}

}  // namespace omniq
