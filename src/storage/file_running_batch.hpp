// RunningBatch: changes to queue/<id>.running files, each held under its
// RunningLock, written together so a batch costs one sync of file data and
// one fsync per directory rather than one per file.
//
// commit() order, for a crash at any point to leave each task whole in one
// place: (1) every new file is written to tmp/ and synced; (2) results are
// renamed into results/ (and results/ fsynced): a result exists before its
// task says it is finished; (3) each task file is renamed over its .running
// name, then renamed on to .task or .done when it leaves RUNNING. Between (3)'s
// two renames the new file is locked from its creation, so nobody else acts
// on it; if the process dies there, the .running file's content (not RUNNING)
// tells recover_expired where it was going. (4) queue/ is fsynced.
// Internal to the library; not synchronised.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "file_running_lock.hpp"
#include "file_task_files.hpp"

namespace omniq {

class RunningBatch {
 public:
  explicit RunningBatch(TaskFiles& files) : files_(files) {}

  // Takes over `lock`, held on queue/<id>.running. commit() stores `result`
  // (if any), rewrites the file with `record` (if any, else keeps it as it
  // is) and moves it to `dest` (running: it stays). `origin`: where the file
  // was taken from (a claim's or an edit's .task), where it goes back if
  // commit fails before rewriting it.
  void add(RunningLock lock, const std::string& id, std::optional<TaskRecord> record,
           RecordKind dest, std::optional<TaskResult> result = std::nullopt,
           RecordKind origin = RecordKind::running);
  // Writes it all. `sync_queue`: fsync queue/ even when no file moved on (a
  // claim or a renewal needs no durable directory entry: either name is
  // recovered). Throws StorageError (ENOSPC, EFBIG, EIO...): files not
  // rewritten yet are unchanged, and those taken from .task are put back.
  void commit(bool sync_queue);
  std::size_t size() const { return items_.size(); }

 private:
  struct Item {
    RunningLock lock;
    std::string id;
    std::optional<TaskRecord> record;
    RecordKind dest;
    std::optional<TaskResult> result;
    RecordKind origin;
  };
  void write_all(bool sync_queue);
  // After a failure: files still held go back where they came from.
  void put_back_unwritten() noexcept;
  TaskFiles& files_;
  std::vector<Item> items_;
};

// A locked queue/<id>.running file and what it holds.
struct LockedRecord {
  RunningLock lock;
  TaskRecord record;
};

// Calls visit(i, file, batch) for each ids[i]: `file` is queue/<id>.running
// locked and read, or nullopt when there is none (a corrupt one is moved
// aside). The visitor either hands the lock to the batch or drops it. Files
// are locked without waiting while others are held, and batches committed
// every so many files; those found busy are skipped (skip_busy) or done
// afterwards one at a time with a waiting lock, holding no other: so no two
// processes ever wait on each other's locks.
using RunningVisitor =
    std::function<void(std::size_t i, std::optional<LockedRecord> file, RunningBatch& batch)>;
void for_each_running(TaskFiles& files, const std::vector<std::string>& ids, bool sync_queue,
                      bool skip_busy, const RunningVisitor& visit);
// queue/<id>.running locked (waiting for another holder) and read, or nullopt.
std::optional<LockedRecord> lock_running(TaskFiles& files, const std::string& id);

}  // namespace omniq
