// TaskFiles: the file store's directory layout and its records on disk.
//
//   base_dir/queue/<id>.task|.running|.done   task files (file_record.hpp)
//   base_dir/results/<id>.result              results
//   base_dir/corrupt/                         unreadable files, moved aside
//   base_dir/tmp/                             files being written
//
// Reads that meet a corrupt file (truncated, garbage, wrong types, another
// id, a status that does not fit its name, not a regular file) move it to
// corrupt/ with a log line and report it as absent, so one bad file never
// stops the queue. Names in queue/ that are not task files are left alone and
// logged once. Internal to the library; not synchronised (the store's mutex
// guards it), but its directories may be used by other processes at once.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "file_record.hpp"
#include "file_running_lock.hpp"
#include "fs_dir.hpp"
#include "omniq/serializer.hpp"
#include "omniq/settings.hpp"

namespace omniq {

// Largest task or result file read back; anything larger is treated as corrupt.
inline constexpr std::size_t kMaxRecordBytes = 64u << 20;

class TaskFiles {
 public:
  // Opens (creating 0700) base_dir and its subdirectories. Throws StorageError.
  TaskFiles(const std::string& base_dir, Durability durability,
            std::shared_ptr<const Serializer> serializer);

  const FsDir& queue() const { return queue_; }
  const FsDir& results() const { return results_; }
  const FsDir& tmp() const { return tmp_; }
  // Durability::full: file data and directory entries are fsynced.
  bool durable() const { return durable_; }

  std::string encode(const TaskRecord& r) const { return encode_task_record(r, *serializer_); }
  std::string encode(const TaskResult& r) const { return serializer_->encode(r); }

  // queue/<id>.<kind>, or nullopt when absent (or corrupt, then moved aside).
  std::optional<TaskRecord> read(const std::string& id, RecordKind kind);
  // The file a RunningLock holds on queue/<id>.running; nullopt (moved aside) if corrupt.
  std::optional<TaskRecord> read_locked(const RunningLock& lock, const std::string& id);
  // The task wherever it is, looking again while it moves between names.
  std::optional<TaskRecord> find(const std::string& id);
  std::optional<TaskResult> read_result(const std::string& id);

  // Moves dir/name to corrupt/ and logs why.
  void quarantine(const FsDir& dir, const std::string& name, std::string_view why);
  // The task files in queue/; other names are skipped (logged the first time).
  std::vector<RecordName> list_queue();
  // The ids of the files in results/.
  std::vector<std::string> list_results() const;

 private:
  FsDir base_;
  FsDir queue_;
  FsDir results_;
  FsDir corrupt_;
  FsDir tmp_;
  bool durable_;
  std::shared_ptr<const Serializer> serializer_;
  std::set<std::string> foreign_logged_;
};

}  // namespace omniq
