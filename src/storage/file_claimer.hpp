// FileClaimer: finds and claims the due tasks of a file store.
//
// It keeps the waiting tasks it knows of in a DueIndex, so a drain of N tasks
// costs O(N) (no listing of queue/ per claim). The index is filled by one scan
// of queue/ at the first dequeue, then kept up to date by this process's own
// writes (added/removed) and by inotify on queue/ for other processes' (each
// arriving <id>.task it does not know is read and indexed). queue/ is listed
// again only when inotify lost events (overflow) or is unavailable (then at
// most every rescan_interval). Entries can be stale; a claim finds out.
//
// A claim is rename(<id>.task -> <id>.running): of all processes, one wins;
// the others get ENOENT and drop the entry. The winner then locks the file,
// re-reads it, and rewrites it RUNNING with attempts+1 and a lease, or gives
// it back (renames it to .task again) when its content says it is not due.
// Internal to the library; not synchronised (the store's mutex guards it).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "file_due_index.hpp"
#include "file_queue_watch.hpp"
#include "file_task_files.hpp"

namespace omniq {

class FileClaimer {
 public:
  FileClaimer(TaskFiles& files, Duration rescan_interval);

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
  // Locks and rewrites the files this process just renamed to .running.
  void claim_renamed(const std::vector<std::string>& ids, Timestamp now, Duration lease,
                     std::vector<Task>& out);

  TaskFiles& files_;
  QueueWatch watch_;
  DueIndex index_;
  Duration rescan_interval_;
  bool scanned_ = false;
  std::chrono::steady_clock::time_point last_scan_{};
};

}  // namespace omniq
