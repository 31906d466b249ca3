// FileStorage: a Storage in plain files under one directory, shared safely by
// several processes on one machine.
//
//   base_dir/queue/<id>.task      waiting (PENDING or RETRYING)
//   base_dir/queue/<id>.running   claimed by a worker (or a move in progress)
//   base_dir/queue/<id>.done      finished (SUCCESS, FAILED or CANCELLED)
//   base_dir/results/<id>.result  the result
//   base_dir/corrupt/             files that could not be read, moved aside
//   base_dir/tmp/                 files being written
//
// Files hold the task encoded with the configured serializer (JSON by
// default). Every write is temp file + fsync + rename (+ fsync of the
// directory when durability is full; batches share one sync); a claim is an
// atomic rename of <id>.task to <id>.running, so two processes never both
// win. Every later change to a task (its claim's rewrite, an outcome, a
// renewal, a release, a cancel, a recovery) is made under flock() of the file
// its .running name designates. Directories are created 0700 and files 0600.
// A corrupt file is moved to corrupt/ with a log line and the rest of the
// queue keeps working; files in queue/ that are not task files are ignored.
//
// Dequeue works from an in-process index of waiting tasks, kept current by
// this store's own writes and by inotify on queue/ for other processes'
// (queue/ is listed again only when inotify cannot tell), so a drain of N
// tasks costs O(N). change_counter() counts this store's changes and the
// task files inotify saw arrive. A claim needs no durable directory entry:
// after a power loss it may be undone (the task runs again), never lost.
// Thread-safe.
#pragma once

#include <memory>

#include "omniq/serializer.hpp"
#include "omniq/storage.hpp"

namespace omniq {

class FileStorage final : public Storage {
 public:
  struct Options {
    std::string base_dir;
    Durability durability = Durability::full;
    std::shared_ptr<const Serializer> serializer;  // default: JsonSerializer
    // A queue/<id>.running file whose content is not RUNNING is a move in
    // progress (a claim between its rename and its rewrite, an outcome between
    // its rewrite and its rename on). If its owner died there, recover_expired
    // finishes the move once the file is this old by the system clock (from
    // its ctime, which the claim's rename sets), so a live owner is never robbed.
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
