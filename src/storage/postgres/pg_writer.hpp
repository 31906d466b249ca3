// PgWriter: the three steps of PostgresStorage::write (enqueue, outcomes,
// claims), each a few set-based statements on one connection, run inside the
// caller's transaction. Internal to the PostgreSQL backend.
//
// Not thread-safe: one writer per transaction, on the thread that holds the
// connection.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "omniq/storage.hpp"
#include "pg_connection.hpp"

namespace omniq {

class PgWriter {
 public:
  // `channel` is the NOTIFY channel of the store (its schema's name).
  PgWriter(PgConnection& conn, std::string channel, Deadline deadline)
      : conn_(conn), channel_(std::move(channel)), deadline_(deadline) {}

  // Inserts the tasks in order; a task whose unique key is held (by a
  // stored task or an earlier one of the batch) is not added and names the
  // holder. Sends one notification per queue that received a task. Throws
  // ValidationError for an id that exists already, PgError.
  std::vector<Enqueued> insert(std::span<const Task> tasks);

  // Applies each outcome whose claim is current, in order. Returns what
  // became of each. Throws PgError.
  std::vector<Applied> apply(std::span<const Outcome> outcomes);

  // Claims up to claim.n due tasks of the queue. Returns them in claim order.
  // A claimed row that cannot be decoded is marked FAILED (CorruptTask) with
  // a result, logged, and left out. Throws PgError.
  std::vector<Task> claim(const QueueClaim& claim, Timestamp now, Duration lease);

 private:
  void notify(std::span<const Task> tasks, const std::vector<Enqueued>& enqueued);
  void fail_corrupt(const std::string& id, int attempts, const std::string& why, Timestamp now);

  PgConnection& conn_;
  std::string channel_;
  Deadline deadline_;
};

}  // namespace omniq
