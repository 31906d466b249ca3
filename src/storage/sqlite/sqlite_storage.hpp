// SQLiteStorage: a Storage in one SQLite database file (or ":memory:"), shared
// safely by several processes on one machine. Internal to the library: built
// by make_storage.
//
// WAL, a busy timeout, one BEGIN IMMEDIATE transaction (one durable commit)
// per write(), claims served by an index. The tables are the original
// library's with omniq's columns added (all with defaults); the schema
// (sqlite_schema.hpp) is upgraded in place and a newer or foreign one refused.
// Values are JSON text whatever the serializer. The file is created 0600.
//
// Thread-safe. Reads run on a connection of their own, writes on the write
// connection one at a time, WAL checkpoints on a thread of their own; a
// ":memory:" database has one connection for all. Defined in
// sqlite_storage.cpp (opening, reads) and sqlite_storage_writes.cpp.
#pragma once

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <type_traits>

#include "omniq/storage.hpp"
#include "sqlite_checkpointer.hpp"
#include "sqlite_db.hpp"

namespace omniq {

class SQLiteStorage final : public Storage {
 public:
  struct Options {
    // A file path (created 0600 if missing) or ":memory:" (private to this object).
    std::string path;
    Durability durability = Durability::full;  // synchronous = FULL, NORMAL or OFF
    // How long a write waits for another connection's lock (then StorageError).
    Duration busy_timeout = std::chrono::seconds(10);
  };

  explicit SQLiteStorage(Options options);
  ~SQLiteStorage() override;
  SQLiteStorage(const SQLiteStorage&) = delete;
  SQLiteStorage& operator=(const SQLiteStorage&) = delete;

  // A write that only claims asks the read connection first whether anything
  // is due, and takes no lock when nothing is.
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
  struct Connection {
    Connection(const std::string& path, Duration busy_timeout) : db(path, busy_timeout) {}
    SqliteDb db;
    std::mutex mu;
  };

  // Holds the store open for a call. Throws StorageError once it is closed.
  std::shared_lock<std::shared_mutex> enter();

  // Runs f(db) on the read connection.
  template <class F>
  auto read_with(F&& f) {
    auto open = enter();
    Connection& c = read_ ? *read_ : *write_;
    std::lock_guard lock(c.mu);
    return f(c.db);
  }

  // Runs f(db) in one write transaction: all of it is committed, or nothing
  // if it throws.
  template <class F>
  auto write_with(F&& f, bool claims_only = false) {
    auto open = enter();
    std::lock_guard lock(write_->mu);
    // Under full durability a write that only claims skips its fsync: a power
    // loss before the next synced commit undoes the claim (the task runs
    // again), never loses anything acknowledged.
    SqliteTransaction txn(write_->db, "BEGIN IMMEDIATE",
                          claims_only && wal_ && options_.durability == Durability::full);
    if constexpr (std::is_void_v<decltype(f(write_->db))>) {
      f(write_->db);
      txn.commit();
    } else {
      auto result = f(write_->db);
      txn.commit();
      return result;
    }
  }

  Options options_;
  std::shared_mutex life_;
  bool closed_ = false;
  bool wal_ = false;
  std::unique_ptr<Connection> write_, read_;
  std::unique_ptr<SqliteCheckpointer> checkpointer_;
};

}  // namespace omniq
