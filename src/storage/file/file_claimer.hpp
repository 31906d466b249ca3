// FileClaimer: finds and claims the due tasks of a file store.
//
// It keeps the waiting tasks it knows of in a DueIndex, so a drain of N tasks
// costs O(N) (no listing of queue/ per claim). The index is filled by this
// process's own writes (added/removed), by one scan of queue/ at the first
// dequeue (reading the .task files it does not know), and by inotify on queue/
// for other processes' writes (each arriving <id>.task it does not know is
// read and indexed). queue/ is listed
// again only when inotify lost events (overflow) or is unavailable (then at
// most every rescan_interval). Entries can be stale; a claim finds out.
//
// A claim locks <id>.task (a file another holds is left for now), reads it,
// appends a claim frame (RUNNING, attempts+1, a lease) and renames the file
// to <id>.running: the rename is the claim. Of all processes one wins, the
// others find no <id>.task; a claim frame left in a .task file (its claimer
// died before the rename) counts for nothing. The claimed files stay open in
// the ClaimCache for their outcome. Internal to the library; not synchronised
// (the store's mutex guards it).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "file_claim_cache.hpp"
#include "file_due_index.hpp"
#include "file_queue_watch.hpp"
#include "file_task_files.hpp"

namespace omniq {

class FileClaimer {
 public:
  FileClaimer(TaskFiles& files, ClaimCache& cache, Duration rescan_interval);

  // This process put `task` in a .task file (or took it out).
  void added(const Task& task) { index_.put(task); }
  void removed(const std::string& id) { index_.erase(id); }

  // Claims up to n tasks due at `now`, in claim order.
  std::vector<Task> claim_due(Timestamp now, std::size_t n, Duration lease);
  // The earliest due time among the waiting tasks known.
  std::optional<Timestamp> next_eta();
  // .task arrivals seen through inotify (ours and other processes').
  std::uint64_t arrivals();
  void close() { watch_.close(); }

 private:
  // Applies what the watch saw, or scans when it cannot tell.
  void refresh();
  void scan();
  // Indexes the task in queue/<id>.task, if it is one.
  void index(const std::string& id);
  // Claims up to n of the due tasks; false when none was left to try.
  bool claim_some(Timestamp now, std::size_t n, Duration lease, std::vector<Task>& out);

  TaskFiles& files_;
  ClaimCache& cache_;
  QueueWatch watch_;
  DueIndex index_;
  Duration rescan_interval_;
  bool scanned_ = false;
  std::chrono::steady_clock::time_point last_scan_{};
};

}  // namespace omniq
