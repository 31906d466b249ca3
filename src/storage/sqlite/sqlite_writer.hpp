// SqliteWriter: the SQLite store's writes, expressed in SQL on the write
// connection with the rules of storage_rules.hpp (outcome_applies decides
// about outcomes here exactly as in the other stores). Internal to the library.
//
// Every method REQUIRES an open write transaction and is called by one thread
// at a time. A row omniq cannot read met by a claim is marked FAILED with a
// "CorruptTask" error and result, and logged; the other tasks go on.
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

class SqliteWriter {
 public:
  explicit SqliteWriter(SqliteDb& db) : db_(db) {}

  // Inserts the task, unless a live task holds its unique key (then names
  // that one). Throws ValidationError when a task with its id exists.
  Enqueued insert(const Task& t);
  // REQUIRES: check_outcome(o) passed.
  Applied apply(const Outcome& o);
  // Rewrites the etas of waiting rows that are not in format_time's form (the
  // original's NULL, naive or offset etas), so the claim's text order is the
  // instants' order. Rows whose eta cannot be read are failed.
  void normalize_etas(Timestamp now);
  // Claims up to c.n due tasks of c.queue in claim order. REQUIRES: normalize_etas ran.
  std::vector<Task> claim(const QueueClaim& c, Timestamp now, Duration lease);
  CancelResult cancel(const std::string& id, Timestamp now);
  std::vector<Applied> renew(std::span<const Claim> claims, Timestamp until);
  // Returns the number of results deleted.
  std::size_t purge(Timestamp older_than);
  void set_paused(const std::string& queue, bool paused);
  void record_worker(const WorkerInfo& w);
  // Marks a row FAILED with a CorruptTask error and result (unless it finished
  // meanwhile), and logs it.
  void fail_corrupt(const CorruptRow& row, Timestamp now);

 private:
  // Claims up to n due tasks of one priority group, appending them in claim order.
  void claim_group(const QueueClaim& c, std::int64_t priority, Timestamp now, Duration lease,
                   std::vector<Task>& out);
  void upsert(const TaskResult& r);

  SqliteDb& db_;
};

}  // namespace omniq
