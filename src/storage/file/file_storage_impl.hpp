// FileStorage's state and the steps its methods share: the Storage contract
// over TaskFiles (layout, records, journal), FileClaimer (due index and
// claims), ClaimCache (claimed files kept open) and RunningBatch (every
// change to a task file made under its lock, appended, journaled).
//
// A task is in exactly one of queue/<id>.task, .running, .done at any time.
// Every change to a task file is made under its lock, by appending frames
// (file_frames.hpp); a change that moves the file on renames it afterwards,
// still locked. A .running file whose record is not RUNNING is such a move in
// progress; if its owner died, recover_expired finishes it after
// Options::claim_grace. Internal to the library.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "file_claim_cache.hpp"
#include "file_claimer.hpp"
#include "file_running_batch.hpp"
#include "file_task_files.hpp"
#include "omniq/file_storage.hpp"

namespace omniq {

struct FileStorage::Impl {
  Options opts;
  TaskFiles files;
  ClaimCache cache;
  FileClaimer claimer;
  std::mutex mu;
  std::atomic<bool> closed{false};
  std::atomic<std::uint64_t> changes{0};

  explicit Impl(Options o);

  void check_open() const;
  void changed() { changes.fetch_add(1, std::memory_order_relaxed); }
  // Throws ValidationError unless `t` is valid and its id is new.
  void check_new(const Task& t) const;

  // The task `id`, locked where it is waiting or running; or, for a finished
  // task, its .done file (nothing held). Throws NotFoundError.
  struct Held {
    std::optional<LockedRecord> file;
    RecordKind at = RecordKind::waiting;
    std::optional<TaskFile> done;
    const Task& task() const { return file ? file->file.record.task : done->record.task; }
  };
  Held hold(const std::string& id);

  // Writes one held task back with `record` (and `result`), moved to where
  // its status belongs; `durable`: journaled (a claim is not).
  void put_back(Held& h, const std::string& id, TaskRecord record,
                std::optional<TaskResult> result = std::nullopt, bool durable = true);

  // Scans the task files: f(file) for each task, once per id.
  template <class F>
  void for_each_task(F&& f);

  std::size_t purge(Timestamp older_than);
  std::size_t recover(Timestamp now);
  // Releases everything held; the journal is emptied and removed.
  void shut() noexcept;
};

template <class F>
void FileStorage::Impl::for_each_task(F&& f) {
  std::set<std::string> seen;
  for (const RecordName& n : files.list_queue()) {
    if (seen.count(n.id) != 0) continue;
    auto r = files.read(n.id, n.kind);
    if (!r) continue;
    seen.insert(n.id);
    f(*r);
  }
}

}  // namespace omniq
