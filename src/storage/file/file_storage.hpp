// FileStorage: a Storage in plain files under one directory, which several
// processes on one machine may share: one file per task, queue/<id>.task,
// .running or .done, holding the task and its latest result in the
// configured serializer (JSON by default), for a person to read and copy.
// Durable and O(N) to drain, not fast: SQLite is the fast store.
//
// A change writes the new record to tmp/, renames it over the task's file,
// then renames the file to the name that fits (a claim: .task -> .running),
// holding an exclusive flock() of base_dir/lock (reads hold it shared). If
// name and record disagree (a change cut short), the record wins. A file
// that cannot be read as its name says is moved to corrupt/ and logged.
// Durability::full fdatasyncs each file before its rename and queue/ once
// per call; normal and off sync nothing. Claims work from an in-process
// index kept current by inotify on queue/. docs/storage.md says more.
// Thread-safe.
#pragma once

#include <memory>

#include "base/serializer.hpp"
#include "omniq/storage.hpp"

namespace omniq {

class FileStorage final : public Storage {
 public:
  struct Options {
    std::string base_dir;
    Durability durability = Durability::full;
    std::shared_ptr<const Serializer> serializer;  // default: JSON
    // Without inotify, how often a change lists queue/ for other processes' work.
    Duration rescan_interval = std::chrono::seconds(1);
  };

  // Opens the store in base_dir, creating what is missing (0700). Throws
  // StorageError when it cannot.
  explicit FileStorage(Options options);
  ~FileStorage() override;

  WriteResult write(const WriteBatch& batch) override;
  CancelResult cancel(std::string_view id, Timestamp now) override;
  std::vector<Applied> renew_leases(std::span<const Claim> claims, Timestamp until) override;
  std::vector<Task> expired(Timestamp now, std::size_t limit) override;
  std::optional<Task> get_task(std::string_view id) override;
  std::optional<TaskResult> get_result(std::string_view id) override;
  std::vector<Task> list_tasks(const TaskFilter& filter) override;
  QueueStats stats() override;
  std::optional<Timestamp> next_eta() override;
  std::size_t purge_results(Timestamp older_than) override;
  void set_paused(std::string_view queue, bool paused) override;
  std::vector<std::size_t> finished_per_minute(Timestamp since, Timestamp until) override;
  void record_worker(const WorkerInfo& worker) override;
  std::vector<WorkerInfo> workers(Timestamp since) override;
  // Returns an inotify watch on queue/ and paused/, or nullptr without inotify.
  std::unique_ptr<ChangeWatch> watch() override;
  void close() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omniq
