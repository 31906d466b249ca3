// SQLiteStorage: a Storage in one SQLite database file (or ":memory:"), shared
// safely by several processes on one machine. Internal to the library: built
// by make_storage.
//
// WAL mode, a busy timeout (SQLITE_BUSY is retried, never reported as a task
// failure), prepared statements reused, one BEGIN IMMEDIATE transaction (one
// durable commit) per write(), claims served by an index. The tables are the
// original library's `tasks` and `results` with omniq's own columns added
// (all with defaults), so the file stays readable with the sqlite3 shell and
// by the original library. The schema version is kept in PRAGMA user_version
// and checked at open: older versions are upgraded in place, a newer or
// foreign schema is refused with StorageError, never altered. Arguments and
// results are stored as JSON text whatever serializer is configured. The
// database file is created 0600. Thread-safe.
#pragma once

#include <memory>

#include "omniq/storage.hpp"

namespace omniq {

class SQLiteStorage final : public Storage {
 public:
  struct Options {
    // A file path (created 0600 if missing) or ":memory:" (private to this object).
    std::string path;
    // full: synchronous=FULL (a commit survives power loss); normal: NORMAL
    // (survives a process crash); off: OFF.
    Durability durability = Durability::full;
    // How long a write waits for another connection's write lock before it
    // fails with StorageError.
    Duration busy_timeout = std::chrono::seconds(10);
  };

  explicit SQLiteStorage(Options options);
  ~SQLiteStorage() override;
  SQLiteStorage(const SQLiteStorage&) = delete;
  SQLiteStorage& operator=(const SQLiteStorage&) = delete;

  WriteResult write(const WriteBatch& batch) override;
  CancelResult cancel(std::string_view id, Timestamp now) override;
  std::vector<Applied> renew_leases(std::span<const Claim> claims, Timestamp until) override;
  // Rows omniq cannot read among them are failed (CorruptTask) and not listed.
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
  // An inotify watch on the database's WAL; nullptr for ":memory:".
  std::unique_ptr<ChangeWatch> watch() override;
  void close() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omniq
