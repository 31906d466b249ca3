// FileStorage: a Storage in plain files under one directory, shared safely by
// several processes on one machine.
//
//   base_dir/queue/<id>.task      waiting (PENDING or RETRYING)
//   base_dir/queue/<id>.running   claimed by a worker (or a move in progress)
//   base_dir/queue/<id>.done      finished (SUCCESS, FAILED or CANCELLED)
//   base_dir/journal/             redo journals (Durability::full), a lock, a checkpoint mark
//   base_dir/results/<id>.result  results stored by earlier versions (read, then purged)
//   base_dir/corrupt/             files that could not be read, moved aside
//   base_dir/tmp/                 files being written
//
// A task file is an append-only log of frames, each a payload encoded with
// the configured serializer (JSON by default) and a one-line footer
// "@omniq <kind> <version> <length> <crc32c>": first the record the task was
// enqueued with, then what each change appended (the task's new state, its
// result: results live in the task file), so a change is one write to an
// existing file, never a new file. A write cut short is ignored (and cut off
// by the next one); a file written by an earlier version (a plain record) is
// read, and rewritten framed on its first change. New files are written to
// tmp/ and renamed in; a file grown long is rewritten the same way.
//
// A claim locks <id>.task (flock), appends a claim frame and renames the file
// to <id>.running: the rename is the claim, so two processes never both win,
// and a claim frame left in a .task file (its claimer died before the rename)
// counts for nothing. Every later change to a task (an outcome, a renewal, a
// release, a cancel, a recovery) is made under flock() of its file and
// appended before the file is renamed on; a .running file whose record is not
// RUNNING is such a move in progress. Directories are created 0700 and files
// 0600. A corrupt file is moved to corrupt/ with a log line and the rest of
// the queue keeps working; files in queue/ that are not task files are
// ignored.
//
// Durability::full: task files are never fsynced. Each call that must be
// durable (enqueue, an outcome, a release, cancel, reschedule, recovery, a
// purge's cleared result) appends what it changed to its store's own journal
// and fdatasync()s that one file before returning: one sync per call, however
// many tasks it touched. A journal whose store is gone is discarded after a
// sync of the file system when it was written since the last boot (the page
// cache still holds its changes), and replayed otherwise: every task file older
// than a record (by version) is brought up to it. A journal past 128 MiB is
// emptied after a syncfs(), whose start a checkpoint mark records, so that no
// older record is ever replayed (purge deletes files only behind such a mark).
// A claim or a renewal is not journaled: after a power loss it may be undone
// (the task runs again), never lost. normal and off write no journal.
//
// Dequeue works from an in-process index of waiting tasks, kept current by
// this store's own writes and by inotify on queue/ for other processes'
// (queue/ is listed again only when inotify cannot tell), so a drain of N
// tasks costs O(N). change_counter() counts this store's changes and the task
// files inotify saw arrive. Thread-safe.
#pragma once

#include <memory>

#include "serializer.hpp"
#include "omniq/storage.hpp"

namespace omniq {

class FileStorage final : public Storage {
 public:
  struct Options {
    std::string base_dir;
    Durability durability = Durability::full;
    std::shared_ptr<const Serializer> serializer;  // default: JsonSerializer
    // A queue/<id>.running file whose record is not RUNNING is a move in
    // progress (an outcome, release or recovery between its write and its
    // rename on). If its owner died there, recover_expired finishes the move
    // once the file is this old by the system clock (from its ctime, which the
    // write sets), so a live owner is never robbed.
    Duration claim_grace = std::chrono::seconds(60);
    // Without inotify on queue/ (or after its event queue overflowed), how often
    // dequeue re-lists queue/ to find tasks other processes added.
    Duration rescan_interval = std::chrono::seconds(1);
  };

  explicit FileStorage(Options options);
  ~FileStorage() override;
  FileStorage(const FileStorage&) = delete;
  FileStorage& operator=(const FileStorage&) = delete;

  std::string enqueue(const Task& task) override;
  std::vector<std::string> enqueue_many(std::span<const Task> tasks) override;
  std::vector<Task> dequeue_many(Timestamp now, std::size_t n, Duration lease) override;
  Task mark_running(std::string_view id, Timestamp now, Duration lease) override;
  std::vector<bool> finish_many(std::span<const Outcome> outcomes) override;
  void reschedule(std::string_view id, Timestamp new_eta) override;
  CancelResult cancel(std::string_view id, Timestamp now) override;
  std::vector<Claim> renew_leases(std::span<const Claim> claims, Timestamp until) override;
  void release(std::span<const Claim> claims, Timestamp now) override;
  std::optional<Task> get_task(std::string_view id) override;
  std::optional<TaskResult> get_result(std::string_view id) override;
  std::vector<Task> list_tasks(const TaskFilter& filter) override;
  QueueStats stats() override;
  std::optional<Timestamp> next_eta() override;
  std::size_t purge_results(Timestamp older_than) override;
  std::size_t recover_expired(Timestamp now) override;
  std::uint64_t change_counter() override;
  void close() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omniq
