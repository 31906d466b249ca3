// RunningBatch: changes to task files, each held under its RunningLock,
// written together so that a batch costs one write per file, no new file,
// and (under Durability::full) one journal write and fdatasync in all.
//
// A change appends frames to its file (a result, then a delta of the task's
// record, or the whole record when the change is journaled), all with the
// file's next version; a file that cannot take them
// (a plain record from an earlier version, or one grown too long) is
// rewritten whole instead, through tmp/, the new file locked from birth and
// (under Durability::full) synced before it replaces the old one. commit()
// order: (1) every append and rewrite is written; (2) rewrites are renamed
// over their old names, and files renamed on (a claim's .task -> .running,
// an outcome's .running -> .task/.done); (3) with `sync`, the changes are
// journaled (TaskFiles::commit): acknowledged once commit returns. A file
// whose record no longer fits its .running name is a move in progress: if
// its process stops before the rename, recover_expired finishes it; a claim
// frame in a .task file is a claim that never happened.
// Internal to the library; not synchronised.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "file_claim_cache.hpp"
#include "file_frames.hpp"
#include "file_running_lock.hpp"
#include "file_task_files.hpp"

namespace omniq {

class TempFiles;

// A locked task file and what it holds.
struct LockedRecord {
  RunningLock lock;
  TaskFile file;
};

// What a change does to the task's result.
enum class ResultChange { keep, set, clear };

class RunningBatch {
 public:
  explicit RunningBatch(TaskFiles& files) : files_(files) {}

  struct Change {
    std::optional<TaskRecord> record{};  // the new record; none: the file only moves
    bool claim = false;                  // a claim made in .task: its delta counts once renamed
    RecordKind dest = RecordKind::running;
    std::optional<TaskResult> result{};  // stored with ResultChange::set
    ResultChange result_change = ResultChange::keep;
    RecordKind at = RecordKind::running;  // where the file is now
    // Where the file was taken from (an edit's .task): where it goes back if
    // commit fails before writing it.
    RecordKind origin = RecordKind::running;
    bool keep_open = false;  // hand the file to take_kept() afterwards, if it stays put
  };

  // Takes over `file` (locked on queue/<id>.<change.at>) and the change to make.
  void add(LockedRecord file, const std::string& id, Change change);
  // Writes it all. Throws StorageError (ENOSPC, EFBIG, EIO...): files not
  // changed yet are as they were, and those taken from .task are put back. A
  // file whose rename finds the new name taken is left as it was (failed()).
  void commit(bool sync);
  std::size_t size() const { return items_.size(); }

  // Files committed with keep_open, unlocked, with what they now hold.
  std::vector<std::pair<std::string, ClaimCache::Entry>> take_kept();
  // Ids whose change was undone because the name to move to was taken.
  const std::vector<std::string>& failed() const { return failed_; }

 private:
  struct Item {
    LockedRecord file;
    std::string id;
    Change change;
    std::size_t old_end = 0;
    bool appended = false;
    std::optional<std::size_t> rewrite{};  // index in the temp files
    bool done = false;
  };
  void write(Item& it, TempFiles& temps, std::vector<JournalRecord>* records);
  void publish(Item& it, TempFiles& temps);
  // After a failure: appends not yet published are cut off, and files taken
  // from elsewhere go back.
  void roll_back() noexcept;
  TaskFiles& files_;
  std::vector<Item> items_;
  std::vector<std::pair<std::string, ClaimCache::Entry>> kept_;
  std::vector<std::string> failed_;
};

// Calls visit(i, file, batch) for each ids[i]: `file` is queue/<id>.running
// locked and read, or nullopt when there is none (a corrupt one is moved
// aside). The visitor either hands the file to the batch or drops it. Files
// are locked without waiting while others are held, and batches committed
// every so many files; those found busy are skipped (skip_busy) or done
// afterwards one at a time with a waiting lock, holding no other: so no two
// processes ever wait on each other's locks. Files in `cache` are relocked
// there rather than looked up again.
using RunningVisitor =
    std::function<void(std::size_t i, std::optional<LockedRecord> file, RunningBatch& batch)>;
void for_each_running(TaskFiles& files, const std::vector<std::string>& ids, bool sync,
                      bool skip_busy, const RunningVisitor& visit, ClaimCache* cache = nullptr);
// queue/<id>.<kind> locked (waiting for another holder) and read, or nullopt.
std::optional<LockedRecord> lock_file(TaskFiles& files, const std::string& id,
                                      RecordKind kind = RecordKind::running);

}  // namespace omniq
