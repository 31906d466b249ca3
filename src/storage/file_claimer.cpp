#include "file_claimer.hpp"

#include <spdlog/spdlog.h>

#include "file_running_batch.hpp"
#include "file_test_hooks.hpp"
#include "omniq/logging.hpp"
#include "storage_rules.hpp"

namespace omniq {
namespace {

// Claims renamed, then locked and rewritten, together.
constexpr std::size_t kClaimBatch = 64;

}  // namespace

FileClaimer::FileClaimer(TaskFiles& files, Duration rescan_interval)
    : files_(files), watch_(files.queue().path()), rescan_interval_(rescan_interval) {}

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
    if (index_.contains(id)) continue;  // ours, or known already
    if (auto r = files_.read(id, RecordKind::waiting)) index_.put(r->task);
  }
}

void FileClaimer::scan() {
  file_store_hooks::queue_scans.fetch_add(1, std::memory_order_relaxed);
  index_.clear();
  for (const RecordName& n : files_.list_queue()) {
    if (n.kind != RecordKind::waiting) continue;
    if (auto r = files_.read(n.id, n.kind)) index_.put(r->task);
  }
  scanned_ = true;
  last_scan_ = std::chrono::steady_clock::now();
}

std::vector<Task> FileClaimer::claim_due(Timestamp now, std::size_t n, Duration lease) {
  refresh();
  std::vector<Task> out;
  const FsDir& queue = files_.queue();
  while (out.size() < n) {
    std::vector<std::string> renamed;
    while (renamed.size() < std::min(n - out.size(), kClaimBatch)) {
      auto id = index_.pop_due(now);
      if (!id) break;
      auto moved = queue.move(record_name(*id, RecordKind::waiting), queue,
                              record_name(*id, RecordKind::running), /*noreplace=*/true);
      if (moved == FsDir::Move::exists) {
        logger()->warn("file store: {} has both a .task and a .running file; leaving it alone",
                       queue.path(*id));
      }
      if (moved != FsDir::Move::moved) continue;  // another process claimed it
      if (file_store_hooks::after_claim_rename) file_store_hooks::after_claim_rename(*id);
      renamed.push_back(std::move(*id));
    }
    if (renamed.empty()) break;
    claim_renamed(renamed, now, lease, out);
  }
  return out;
}

void FileClaimer::claim_renamed(const std::vector<std::string>& ids, Timestamp now, Duration lease,
                                std::vector<Task>& out) {
  for_each_running(files_, ids, /*sync_queue=*/false, /*skip_busy=*/false,
                   [&](std::size_t i, std::optional<LockedRecord> file, RunningBatch& batch) {
                     // Gone (recovered from under us) or not waiting: someone
                     // else finished this move; the claim is theirs.
                     if (!file || !is_waiting(file->record.task.status)) return;
                     Task& t = file->record.task;
                     if (due_time(t) > now) {  // rescheduled meanwhile: give it back
                       index_.put(t);
                       batch.add(std::move(file->lock), ids[i], std::nullopt, RecordKind::waiting,
                                 std::nullopt, RecordKind::waiting);
                       return;
                     }
                     apply_claim(t, now, lease);
                     file->record.cancel_requested = false;
                     out.push_back(t);
                     batch.add(std::move(file->lock), ids[i], std::move(file->record),
                               RecordKind::running, std::nullopt, RecordKind::waiting);
                   });
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
