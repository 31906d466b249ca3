// TaskFiles: the file store's directory layout and its records on disk.
//
//   base_dir/queue/<id>.task|.running|.done   task files, results inside (file_record.hpp)
//   base_dir/results/<id>.result              results written by earlier versions
//   base_dir/journal/                         redo journals (Durability::full, file_journal.hpp)
//   base_dir/corrupt/                         unreadable files, moved aside
//   base_dir/tmp/                             files being written
//
// Reads that meet a corrupt file (truncated, garbage, wrong types, another
// id, a status that does not fit its name, not a regular file) move it to
// corrupt/ with a log line and report it as absent, so one bad file never
// stops the queue; a framed file whose record does not fit its name (left by
// a power loss between a change and its rename) is moved where it belongs.
// Names in queue/ that are not task files are left alone and logged once.
// Internal to the library; not synchronised (the store's mutex guards it),
// but its directories may be used by other processes at once.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "file_journal.hpp"
#include "file_record.hpp"
#include "file_running_lock.hpp"
#include "fs_dir.hpp"
#include "serializer.hpp"
#include "omniq/settings.hpp"

namespace omniq {

// Largest task file: a record, deltas and a result (see RunningBatch's compaction).
inline constexpr std::size_t kMaxTaskFileBytes = 6 * kMaxRecordBytes;

class TaskFiles {
 public:
  // Opens (creating 0700) base_dir and its subdirectories, replays or
  // discards the journals of stores that are gone, and starts this store's
  // own journal under Durability::full. Throws StorageError.
  TaskFiles(const std::string& base_dir, Durability durability,
            std::shared_ptr<const Serializer> serializer);

  const FsDir& queue() const { return queue_; }
  const FsDir& results() const { return results_; }
  const FsDir& tmp() const { return tmp_; }
  // Durability::full: commit() makes changes durable.
  bool durable() const { return journal_ != nullptr; }

  const Serializer& serializer() const { return *serializer_; }
  std::string encode(const TaskRecord& r) const { return encode_task_record(r, *serializer_); }
  std::string encode(const TaskResult& r) const { return serializer_->encode(r); }

  // Makes the changes the records describe durable (a journal write and one
  // fdatasync) under Durability::full; does nothing otherwise. Throws StorageError.
  void commit(std::vector<JournalRecord>& records);
  // Syncs the file system and moves the checkpoint mark: every change made so
  // far is durable, and no journal record made before is replayed. Under
  // Durability::full only. Throws StorageError.
  void checkpoint();
  // Deals with the journals of stores that are gone (see file_journal.hpp).
  void recover_journals();
  // Called when the store closes: empties and removes its journal (after a
  // sync) so that nothing is left to recover. Never throws.
  void retire_journal() noexcept;

  // queue/<id>.<kind>, or nullopt when absent (or corrupt, then moved aside).
  std::optional<TaskFile> read(const std::string& id, RecordKind kind);
  // The file a RunningLock holds on queue/<id>.<kind>; nullopt (moved aside) if corrupt.
  std::optional<TaskFile> read_locked(const RunningLock& lock, const std::string& id,
                                      RecordKind kind = RecordKind::running);
  // The task wherever it is, looking again while it moves between names.
  std::optional<TaskFile> find(const std::string& id);
  // The result held by the task file `file` of task `id`, else the one in
  // results/ (an earlier version's layout); nullopt if neither.
  std::optional<TaskResult> result_of(const std::string& id, const std::optional<TaskFile>& file);
  // results/<id>.result, or nullopt (moved aside if corrupt).
  std::optional<TaskResult> read_result_file(const std::string& id);

  // Moves dir/name to corrupt/ and logs why.
  void quarantine(const FsDir& dir, const std::string& name, std::string_view why);
  // The task files in queue/; other names are skipped (logged the first time).
  std::vector<RecordName> list_queue();
  // The ids of the files in results/.
  std::vector<std::string> list_results() const;

 private:
  // Moves queue/<id>.<kind>, whose record does not fit the name, to the name
  // that fits; returns it as read there, or nullopt.
  std::optional<TaskFile> relocate(const std::string& id, RecordKind kind);
  // Brings each task file up to its newest journal record.
  void replay(const std::map<std::string, std::vector<const JournalRecord*>>& by_id);

  FsDir base_;
  FsDir queue_;
  FsDir results_;
  FsDir corrupt_;
  FsDir tmp_;
  FsDir journal_dir_;
  std::string boot_;
  std::shared_ptr<const Serializer> serializer_;
  std::unique_ptr<Journal> journal_;
  std::set<std::string> foreign_logged_;
};

}  // namespace omniq
