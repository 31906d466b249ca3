// PostgresStorage: a Storage in a PostgreSQL database, shared by any number
// of worker processes on any number of hosts.
//
// The store keeps its tables in a schema of its own ("omniq", or the URL's
// ?schema=NAME), created and migrated at open under an advisory lock. A
// write() is one transaction; claims are one statement per queue
// (FOR UPDATE SKIP LOCKED); an enqueue notifies each queue it fills once,
// which watch() hears through LISTEN. Times are the caller's (the engine's
// clock), never the server's. Durability::full keeps synchronous_commit on;
// normal and off turn it off (a commit may be lost with the server's crash,
// never half-applied).
//
// Every call ends within Options::timeout: a database that stops answering
// makes it throw StorageError saying the database is unreachable, and a
// later call connects again (pausing 100 ms, doubling to 2 s, between
// failed attempts). A write rides out a restart of the server (run_write in
// pg_session.hpp): a restart costs the workers a pause, not their outcomes.
//
// Thread-safe: writes share one connection and reads another, each used by
// one thread at a time.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "omniq/storage.hpp"

namespace omniq {

class PgSlot;
struct PgTarget;

class PostgresStorage final : public Storage {
 public:
  struct Options {
    // postgresql://user@host:port/dbname (or postgres://, or a libpq
    // key=value string), handed to libpq as is, so PG* variables and service
    // files apply; an optional schema=NAME query parameter (default omniq)
    // names the schema.
    std::string url;
    Durability durability = Durability::full;
    // The longest any call may take, connecting included.
    Duration timeout = std::chrono::seconds(10);
  };

  // Connects, then creates or migrates the schema. Throws ConfigError for a
  // URL or schema name it cannot use, StorageError when the database cannot
  // be reached or holds a schema this omniq cannot use.
  explicit PostgresStorage(const Options& options);
  ~PostgresStorage() override;
  PostgresStorage(const PostgresStorage&) = delete;
  PostgresStorage& operator=(const PostgresStorage&) = delete;

  WriteResult write(const WriteBatch& batch) override;
  CancelResult cancel(std::string_view id, Timestamp now) override;
  std::vector<Applied> renew_leases(std::span<const Claim> claims, Timestamp until) override;
  std::vector<Task> expired(Timestamp now, std::size_t limit) override;
  // Throws SerializationError, naming the id, for a row that cannot be decoded.
  std::optional<Task> get_task(std::string_view id) override;
  std::optional<TaskResult> get_result(std::string_view id) override;
  // Rows that cannot be decoded are left out (and logged).
  std::vector<Task> list_tasks(const TaskFilter& filter) override;
  QueueStats stats() override;
  std::optional<Timestamp> next_eta() override;
  std::size_t purge_results(Timestamp older_than) override;
  void set_paused(std::string_view queue, bool paused) override;
  std::vector<std::size_t> finished_per_minute(Timestamp since, Timestamp until) override;
  void record_worker(const WorkerInfo& worker) override;
  std::vector<WorkerInfo> workers(Timestamp since) override;
  // A watch with its own connection; see PgWatch.
  std::unique_ptr<ChangeWatch> watch() override;
  void close() override;

  // Returns the value of a run-time setting (e.g. "synchronous_commit") as
  // the store's write connection has it; for diagnostics and tests.
  std::string server_setting(const std::string& name);

 private:
  std::unique_ptr<PgTarget> target_;
  std::unique_ptr<PgSlot> writer_;
  std::unique_ptr<PgSlot> reader_;
  std::atomic<bool> closed_{false};
};

}  // namespace omniq
