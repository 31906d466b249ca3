// SQLiteStorage: the writes (see sqlite_storage.hpp), expressed in SQL with
// the rules of storage_rules.hpp (outcome_applies decides about outcomes here
// exactly as in the other stores). The helpers below REQUIRE an open write
// transaction on `db`, unless they say otherwise. A row omniq cannot read met
// by a claim or by expired() is marked FAILED with a "CorruptTask" error and
// result, and logged; the other tasks go on.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <tuple>

#include "base/log_events.hpp"
#include "base/serializer.hpp"
#include "sqlite_codec.hpp"
#include "sqlite_sql.hpp"
#include "sqlite_statement.hpp"
#include "sqlite_storage.hpp"
#include "storage/storage_rules.hpp"

namespace omniq {
namespace {

constexpr std::int64_t kBeforeAnyPriority = std::numeric_limits<std::int64_t>::min();

// The first waiting task (priority, eta) of `queue`'s next priority group
// after `after`; none when there is none or the queue is paused. Any connection.
std::optional<std::pair<std::int64_t, std::string>> next_group(SqliteDb& db,
                                                               const std::string& queue,
                                                               std::int64_t after) {
  Query q(db.prepared(sql::kNextGroup), queue, after);
  if (!q->step()) return std::nullopt;
  return std::pair(q->integer(0), q->text(1));
}

// True when a claim from `queue` at `now` could find a task: one indexed probe
// per priority group. Rows whose eta a claim rewrites first count as due. Any
// connection.
bool anything_due(SqliteDb& db, const std::string& queue, Timestamp now) {
  if (Query(db.prepared(sql::kAnyOddEta))->step()) return true;
  std::string now_text = format_time(now);
  for (auto head = next_group(db, queue, kBeforeAnyPriority); head;
       head = next_group(db, queue, head->first)) {
    if (head->second <= now_text) return true;
  }
  return false;
}

void upsert(SqliteDb& db, const TaskResult& r) {
  Query q(db.prepared(sql::kUpsertResult));
  bind_result(*q, r);
  q->run();
}

// Marks a row FAILED with a CorruptTask error and result (unless it finished
// meanwhile), and logs it.
void fail_corrupt(SqliteDb& db, const CorruptRow& row, Timestamp now) {
  TaskError e = TaskError::make("CorruptTask",
                                "omniq cannot read this task's stored row (" + row.reason +
                                    "); it was marked FAILED so that the queue goes on",
                                now, false);
  Query q(db.prepared(sql::kFailCorrupt), row.rowid, format_time(now), encode_error(e));
  if (q->run() == 0) return;  // finished meanwhile
  std::string id = row.id.value_or("").substr(0, 64);
  if (!id.empty()) {
    upsert(db,
           TaskResult{id, TaskStatus::FAILED, std::nullopt, e, now, row.attempts, std::nullopt});
  }
  logger()->error(
      "task {} (row {}) in SQLite database \"{}\" cannot be read and was marked "
      "FAILED: {}",
      id.empty() ? "without id" : id, row.rowid, db.path(), row.reason);
}

// Inserts the task, unless a live task holds its unique key (then names that
// one). Throws ValidationError when a task with its id exists.
Enqueued insert(SqliteDb& db, const Task& t) {
  {
    Query q(db.prepared(sql::kInsertTask));
    bind_task(*q, t);
    try {
      if (q->run() == 1) return {t.id, true};
    } catch (const SqliteError& e) {
      if (!e.is_unique_violation()) throw;
      throw ValidationError("a task with id " + t.id + " exists already");
    }
  }
  // Not inserted: a live task holds the unique key (and the id may be taken too).
  if (Query(db.prepared(sql::kTaskById), t.id)->step()) {
    throw ValidationError("a task with id " + t.id + " exists already");
  }
  Query q(db.prepared(sql::kUniqueHolder), t.unique_key);
  if (!q->step()) throw StorageError("the unique key of task " + t.id + " has no holder");
  return {q->text(0), false};
}

// REQUIRES: check_outcome(o) passed.
Applied apply(SqliteDb& db, const Outcome& o) {
  std::int64_t rowid = 0;
  {
    Query q(db.prepared(sql::kTaskById), o.task_id);
    if (!q->step()) return Applied::not_current;
    Applied a = outcome_applies(read_named(db, *q, "task " + o.task_id, read_claim), o);
    if (a != Applied::yes) return a;
    rowid = q->integer(sql::kRowid);
  }
  std::optional<std::string> next_eta;
  if (is_waiting(o.status)) next_eta = format_time(*o.next_eta);
  Query(db.prepared(sql::kApplyOutcome), rowid, to_string(o.status), format_time(o.at), next_eta,
        o.error ? std::optional(encode_error(*o.error)) : std::nullopt)
      ->run();
  if (o.result) upsert(db, *o.result);
  return Applied::yes;
}

// Rewrites the etas of waiting rows that are not in format_time's form (the
// original's NULL, naive or offset etas), so the claim's text order is the
// instants' order. Rows whose eta cannot be read are failed.
void normalize_etas(SqliteDb& db, Timestamp now) {
  std::vector<std::pair<CorruptRow, std::string>> rows;  // and the instant it is due
  for (Query q(db.prepared(sql::kOddEtas)); q->step();) {
    int column = q->is_null(sql::kEta) ? sql::kCreatedAt : sql::kEta;
    rows.emplace_back(corrupt_row(*q, column == sql::kEta ? "column eta" : "column created_at"),
                      q->text(column));
  }
  for (auto& [row, due] : rows) {
    try {
      Query(db.prepared(sql::kSetEta), row.rowid, format_time(parse_time(due)))->run();
    } catch (const SerializationError& e) {
      row.reason += std::string(": ") + e.what();
      fail_corrupt(db, row, now);
    }
  }
}

// Claims up to `n` due tasks of one priority group of `queue`, appending them
// to `out` in claim order (eta, then enqueue order).
void claim_group(SqliteDb& db, const std::string& queue, std::int64_t priority, std::size_t n,
                 Timestamp now, Duration lease, std::vector<Task>& out) {
  std::vector<std::tuple<std::string, std::int64_t, Task>> claimed;  // eta, rowid, task
  std::vector<CorruptRow> corrupt;
  for (Query q(db.prepared(sql::kClaim), queue, priority, format_time(now),
               format_time(now + lease), n);
       q->step();) {
    try {
      claimed.emplace_back(q->text(sql::kEta), q->integer(sql::kRowid), read_task(*q));
    } catch (const SerializationError& e) {
      corrupt.push_back(corrupt_row(*q, e.what()));
    }
  }
  for (const CorruptRow& row : corrupt) fail_corrupt(db, row, now);
  // RETURNING gives no order.
  std::sort(claimed.begin(), claimed.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
  });
  for (auto& row : claimed) out.push_back(std::move(std::get<2>(row)));
}

// Claims up to c.n due tasks of c.queue, lowest priority first.
// REQUIRES: normalize_etas ran in this transaction.
std::vector<Task> claim_queue(SqliteDb& db, const QueueClaim& c, Timestamp now, Duration lease) {
  std::vector<Task> out;
  std::string now_text = format_time(now);
  for (auto head = next_group(db, c.queue, kBeforeAnyPriority); head && out.size() < c.n;
       head = next_group(db, c.queue, head->first)) {
    if (head->second <= now_text) {
      claim_group(db, c.queue, head->first, c.n - out.size(), now, lease, out);
    }
  }
  return out;
}

}  // namespace

WriteResult SQLiteStorage::write(const WriteBatch& batch) {
  check_batch(batch);
  auto due = [&](SqliteDb& db) {
    return std::any_of(batch.claims.begin(), batch.claims.end(), [&](const QueueClaim& c) {
      return c.n > 0 && anything_due(db, c.queue, batch.now);
    });
  };
  if (batch.enqueue.empty() && batch.outcomes.empty() && !read_with(due)) return {};
  return write_with(
      [&](SqliteDb& db) {
        WriteResult r;
        for (const Task& t : batch.enqueue) r.enqueued.push_back(insert(db, t));
        for (const Outcome& o : batch.outcomes) r.applied.push_back(apply(db, o));
        if (!batch.claims.empty()) normalize_etas(db, batch.now);
        for (const QueueClaim& c : batch.claims) {
          for (Task& t : claim_queue(db, c, batch.now, batch.lease))
            r.claimed.push_back(std::move(t));
        }
        return r;
      },
      batch.enqueue.empty() && batch.outcomes.empty());
}

CancelResult SQLiteStorage::cancel(std::string_view id, Timestamp now) {
  validate_id(id);
  return write_with([&](SqliteDb& db) {
    std::string key(id);
    Task t;
    std::int64_t rowid = 0;
    {
      Query q(db.prepared(sql::kTaskById), key);
      if (!q->step()) throw NotFoundError("no task with id " + key);
      rowid = q->integer(sql::kRowid);
      try {
        t = read_task(*q);
      } catch (const SerializationError&) {
        t = read_named(db, *q, "task " + key, read_claim);  // unreadable values still cancel
      }
    }
    if (is_terminal(t.status)) return CancelResult::already_finished;
    if (t.status == TaskStatus::RUNNING) {
      Query(db.prepared(sql::kRequestCancel), rowid)->run();
      return CancelResult::requested;
    }
    Query(db.prepared(sql::kCancel), rowid, format_time(now))->run();
    upsert(db, cancelled_result(t, now));
    return CancelResult::cancelled;
  });
}

std::vector<Applied> SQLiteStorage::renew_leases(std::span<const Claim> claims, Timestamp until) {
  for (const Claim& c : claims) validate_id(c.task_id);
  if (claims.empty()) return {};
  return write_with([&](SqliteDb& db) {
    std::vector<Applied> out;
    for (const Claim& c : claims) {
      Query q(db.prepared(sql::kRenew), c.task_id, c.attempt, format_time(until));
      if (!q->step()) {
        out.push_back(Applied::not_current);
      } else {
        out.push_back(q->integer(0) != 0 ? Applied::cancel_requested : Applied::yes);
      }
    }
    return out;
  });
}

std::vector<Task> SQLiteStorage::expired(Timestamp now, std::size_t limit) {
  std::vector<Task> lost;
  std::vector<CorruptRow> corrupt;
  auto take = [&](SqliteStatement& q) {
    while (q.step()) {
      try {
        if (*read_claim(q).lease_expires_at < now) lost.push_back(read_task(q));
      } catch (const SerializationError& e) {
        corrupt.push_back(corrupt_row(q, e.what()));
      }
    }
  };
  read_with([&](SqliteDb& db) {
    SqliteTransaction snapshot(db, "BEGIN");
    take(*Query(db.prepared(sql::kExpired), format_time(now), limit));
    take(*Query(db.prepared(sql::kLeaseless)));  // the original's claims
    snapshot.commit();
  });
  if (!corrupt.empty()) {
    write_with([&](SqliteDb& db) {
      for (const CorruptRow& row : corrupt) fail_corrupt(db, row, now);
    });
  }
  std::stable_sort(lost.begin(), lost.end(), [](const Task& a, const Task& b) {
    return *a.lease_expires_at < *b.lease_expires_at;
  });
  lost.resize(std::min(lost.size(), limit));
  return lost;
}

std::size_t SQLiteStorage::purge_results(Timestamp older_than) {
  return write_with([&](SqliteDb& db) {
    std::string cutoff = format_time(older_than);
    int purged = Query(db.prepared(sql::kPurgeResults), cutoff)->run();
    Query(db.prepared(sql::kPurgeTasks), cutoff)->run();
    return static_cast<std::size_t>(purged);
  });
}

void SQLiteStorage::set_paused(std::string_view queue, bool paused) {
  validate_name(queue, "queue");
  write_with([&](SqliteDb& db) { Query(db.prepared(sql::kSetPaused), queue, int{paused})->run(); });
}

void SQLiteStorage::record_worker(const WorkerInfo& w) {
  write_with([&](SqliteDb& db) {
    Query(db.prepared(sql::kRecordWorker), w.id, w.host, w.pid,
          JsonSerializer().encode(Value(w.queues)), format_time(w.started_at),
          format_time(w.seen_at))
        ->run();
    Query(db.prepared(sql::kForgetWorkers), format_time(w.seen_at - kWorkerMemory))->run();
  });
}

}  // namespace omniq
