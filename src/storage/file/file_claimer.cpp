#include "file_claimer.hpp"

#include <algorithm>
#include <unordered_set>

#include "file_running_batch.hpp"
#include "file_test_hooks.hpp"
#include "storage_rules.hpp"

namespace omniq {
namespace {

// Claims locked, then written and renamed, together.
constexpr std::size_t kClaimBatch = 128;

}  // namespace

FileClaimer::FileClaimer(TaskFiles& files, ClaimCache& cache, Duration rescan_interval)
    : files_(files),
      cache_(cache),
      watch_(files.queue().path()),
      rescan_interval_(rescan_interval) {}

void FileClaimer::refresh() {
  QueueWatch::Pending pending = watch_.take();
  if (!scanned_) {
    scan();
    return;
  }
  if (pending.lost) {
    bool due_again = std::chrono::steady_clock::now() - last_scan_ >= rescan_interval_;
    if (watch_.active() || due_again) scan();
    return;
  }
  for (const std::string& id : pending.ids) {
    if (!index_.contains(id)) index(id);  // not ours, nor known already
  }
}

void FileClaimer::scan() {
  file_store_hooks::queue_scans.fetch_add(1, std::memory_order_relaxed);
  // Entries this store wrote are kept (a claim checks them anyway); only
  // files it does not know are read, and entries whose file is gone dropped.
  std::unordered_set<std::string> present;
  for (const RecordName& n : files_.list_queue()) {
    if (n.kind != RecordKind::waiting) continue;
    if (!index_.contains(n.id)) index(n.id);
    present.insert(n.id);
  }
  index_.retain(present);
  scanned_ = true;
  last_scan_ = std::chrono::steady_clock::now();
}

void FileClaimer::index(const std::string& id) {
  auto f = files_.read(id, RecordKind::waiting);
  if (f && is_waiting(f->record.task.status)) index_.put(f->record.task);
}

std::vector<Task> FileClaimer::claim_due(Timestamp now, std::size_t n, Duration lease) {
  refresh();
  std::vector<Task> out;
  while (out.size() < n && claim_some(now, std::min(n - out.size(), kClaimBatch), lease, out)) {
  }
  return out;
}

bool FileClaimer::claim_some(Timestamp now, std::size_t n, Duration lease, std::vector<Task>& out) {
  const FsDir& queue = files_.queue();
  RunningBatch batch(files_);
  std::vector<Task> claimed;
  std::vector<DueIndex::Key> busy;
  bool progress = false;  // an entry was dealt with (claimed or dropped)
  while (claimed.size() < n) {
    auto key = index_.pop_due(now);
    if (!key) break;
    const std::string id = std::get<2>(*key);
    std::string name = record_name(id, RecordKind::waiting);
    RunningLock lock;
    auto status = lock.acquire(queue, name, /*wait=*/false);
    if (status == RunningLock::Status::busy) {  // another is changing it: look again next time
      busy.push_back(std::move(*key));
      continue;
    }
    progress = true;
    switch (status) {
      case RunningLock::Status::locked:
      case RunningLock::Status::busy:
        break;
      case RunningLock::Status::foreign:
        files_.quarantine(queue, name, "not a regular file");
        continue;
      case RunningLock::Status::absent:  // claimed elsewhere
        continue;
    }
    auto file = files_.read_locked(lock, id, RecordKind::waiting);
    if (!file || !file->fits) continue;
    if (due_time(file->record.task) > now) {  // rescheduled meanwhile
      index_.put(file->record.task);
      continue;
    }
    RunningBatch::Change claim;
    claim.record = file->record;
    apply_claim(claim.record->task, now, lease);
    claim.record->cancel_requested = false;
    claim.claim = true;
    claim.at = claim.origin = RecordKind::waiting;
    claim.dest = RecordKind::running;
    claim.keep_open = true;
    claimed.push_back(claim.record->task);
    batch.add(LockedRecord{std::move(lock), std::move(*file)}, id, std::move(claim));
  }
  for (DueIndex::Key& k : busy) index_.put(std::move(k));
  if (claimed.empty()) return progress;
  batch.commit(/*sync=*/false);
  for (auto& [id, entry] : batch.take_kept()) cache_.put(id, std::move(entry));
  const auto& failed = batch.failed();
  for (Task& t : claimed) {
    if (std::find(failed.begin(), failed.end(), t.id) == failed.end()) out.push_back(std::move(t));
  }
  return true;
}

std::optional<Timestamp> FileClaimer::next_eta() {
  refresh();
  return index_.earliest();
}

std::uint64_t FileClaimer::arrivals() {
  watch_.poll();
  return watch_.arrivals();
}

}  // namespace omniq
