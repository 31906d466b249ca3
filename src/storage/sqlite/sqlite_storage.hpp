// SQLiteStorage: a Storage in one SQLite database file (or ":memory:"), shared
// safely by several processes on one machine.
//
// WAL mode, a busy timeout (SQLITE_BUSY is retried, never reported as a task
// failure), prepared statements reused, claims in one transaction served by
// an index. The tables are the original library's `tasks` and `results` with
// omniq's own columns added (all with defaults), so the file stays readable
// with the sqlite3 shell and by the original library. The schema version is
// kept in PRAGMA user_version and checked at open: a newer or foreign schema
// is refused with StorageError, never altered. Arguments and results are
// stored as JSON text whatever serializer is configured. The database file is
// created 0600. Thread-safe; concurrent writers are group-committed.
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

  std::string enqueue(const Task& task) override;
  std::vector<std::string> enqueue_many(std::span<const Task> tasks) override;
  std::vector<Task> dequeue_many(Timestamp now, std::size_t n, Duration lease) override;
  Task mark_running(std::string_view id, Timestamp now, Duration lease) override;
  std::vector<bool> finish_many(std::span<const Outcome> outcomes) override;
  // One write transaction (one commit) for both.
  FinishAndClaim finish_and_dequeue(std::span<const Outcome> outcomes, Timestamp now, std::size_t n,
                                    Duration lease) override;
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
