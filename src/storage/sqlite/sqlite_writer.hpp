// SqliteWriter: the SQLite store's writes, expressed in SQL on the write
// connection with the same rules storage_rules.hpp gives the other stores.
// Internal to the library.
//
// Every method REQUIRES an open write transaction (SqliteWriteQueue::run
// provides one) and is called by one thread at a time. A row omniq cannot read
// met by a claim or a lease recovery is marked FAILED with a "CorruptTask"
// error and result, and logged; the other tasks go on.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "omniq/storage.hpp"
#include "sqlite_codec.hpp"
#include "sqlite_db.hpp"
#include "sqlite_statement.hpp"

namespace omniq {

// An Outcome as the values kFinish and kUpsertResult bind.
struct EncodedOutcome {
  std::string task_id;
  int attempt = 0;
  std::string status;
  std::string at;
  std::optional<std::string> next_eta;  // set for PENDING and RETRYING only
  std::optional<std::string> error;
  std::optional<EncodedResult> result;
};

// REQUIRES: check_outcome(o) passed.
EncodedOutcome encode_outcome(const Outcome& o);

class SqliteWriter {
 public:
  explicit SqliteWriter(SqliteDb& db);

  // Inserts the rows. Throws ValidationError when an id exists already.
  void insert(std::span<const EncodedTask> rows);
  // Claims up to n due tasks, in claim order (eta, then enqueue order).
  std::vector<Task> claim(Timestamp now, std::size_t n, Duration lease);
  // See Storage::mark_running.
  Task mark_running(const std::string& id, Timestamp now, Duration lease);
  // Applies each outcome whose claim is current; returns which were applied.
  std::vector<bool> finish(std::span<const EncodedOutcome> outcomes);
  void reschedule(const std::string& id, Timestamp eta);
  CancelResult cancel(const std::string& id, Timestamp now);
  // Returns the claims that must stop.
  std::vector<Claim> renew(std::span<const Claim> claims, Timestamp until);
  void release(std::span<const Claim> claims, Timestamp now);
  // Returns the number of results deleted.
  std::size_t purge(Timestamp older_than);
  // Returns the number of RUNNING tasks given back or failed.
  std::size_t recover(Timestamp now);

 private:
  struct CorruptRow {
    std::int64_t rowid = 0;
    std::optional<std::string> id;
    std::int64_t attempts = 0;
    std::string reason;
  };
  static CorruptRow corrupt_row(const SqliteStatement& row, const std::string& reason);

  // Gives waiting rows the original left without an eta their created_at, so
  // the indexed claim sees them in the right place.
  void normalize_null_etas(Timestamp now);
  void fail_corrupt(const CorruptRow& row, Timestamp now);
  void upsert(const EncodedResult& r);
  // The status of task `id`. Throws NotFoundError, or SerializationError for
  // a status omniq does not know.
  TaskStatus status_of(const std::string& id);
  // The task `id`, read for an operation on it; a row that cannot be read is
  // a SerializationError naming the id.
  Task read_named(const SqliteStatement& row, const std::string& id) const;

  SqliteDb& db_;
  SqliteStatement insert_, claim_, null_etas_, set_eta_, fail_corrupt_, by_id_, claim_by_id_,
      finish_, upsert_result_, reschedule_, request_cancel_, cancel_, renew_, release_, expired_,
      recover_, purge_results_, purge_tasks_;
};

}  // namespace omniq
