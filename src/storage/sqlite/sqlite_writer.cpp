#include "sqlite_writer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <tuple>

#include "omniq/logging.hpp"
#include "serializer.hpp"
#include "sqlite_reader.hpp"
#include "sqlite_sql.hpp"
#include "storage/storage_rules.hpp"

namespace omniq {
Enqueued SqliteWriter::insert(const Task& t) {
  {
    Query q(db_.prepared(sql::kInsertTask));
    bind_task(*q, t);
    try {
      if (q->run() == 1) return {t.id, true};
    } catch (const SqliteError& e) {
      if (!e.is_unique_violation()) throw;
      throw ValidationError("a task with id " + t.id + " exists already");
    }
  }
  // Not inserted: a live task holds the unique key (and the id may be taken too).
  if (Query(db_.prepared(sql::kIdExists), t.id)->step()) {
    throw ValidationError("a task with id " + t.id + " exists already");
  }
  Query q(db_.prepared(sql::kUniqueHolder), *t.unique_key);
  if (!q->step()) throw StorageError("the unique key of task " + t.id + " has no holder");
  return {q->text(0), false};
}

Applied SqliteWriter::apply(const Outcome& o) {
  std::int64_t rowid = 0;
  {
    Query q(db_.prepared(sql::kTaskById), o.task_id);
    if (!q->step()) return Applied::not_current;
    Applied a = outcome_applies(read_named(db_, *q, o.task_id, read_claim), o);
    if (a != Applied::yes) return a;
    rowid = q->integer(sql::kRowid);
  }
  std::optional<std::string> next_eta;
  if (is_waiting(o.status)) next_eta = format_time(*o.next_eta);
  Query(db_.prepared(sql::kApplyOutcome), rowid, to_string(o.status), format_time(o.at), next_eta,
        o.error ? std::optional(encode_error(*o.error)) : std::nullopt)
      ->run();
  if (o.result) upsert(*o.result);
  return Applied::yes;
}

void SqliteWriter::normalize_etas(Timestamp now) {
  std::vector<std::pair<CorruptRow, std::string>> rows;  // and the instant it is due
  for (Query q(db_.prepared(sql::kOddEtas)); q->step();) {
    int column = q->is_null(sql::kEta) ? sql::kCreatedAt : sql::kEta;
    rows.emplace_back(corrupt_row(*q, column == sql::kEta ? "column eta" : "column created_at"),
                      q->text(column));
  }
  for (auto& [row, due] : rows) {
    try {
      Query(db_.prepared(sql::kSetEta), row.rowid, format_time(parse_time(due)))->run();
    } catch (const SerializationError& e) {
      row.reason += std::string(": ") + e.what();
      fail_corrupt(row, now);
    }
  }
}

std::vector<Task> SqliteWriter::claim(const QueueClaim& c, Timestamp now, Duration lease) {
  std::vector<Task> out;
  std::string now_text = format_time(now);
  SqliteStatement& groups = db_.prepared(sql::kNextGroup);
  auto head = next_group(groups, c.queue, std::numeric_limits<std::int64_t>::min());
  for (; head && out.size() < c.n; head = next_group(groups, c.queue, head->priority)) {
    if (head->eta <= now_text) claim_group(c, head->priority, now, lease, out);
  }
  return out;
}

void SqliteWriter::claim_group(const QueueClaim& c, std::int64_t priority, Timestamp now,
                               Duration lease, std::vector<Task>& out) {
  std::vector<std::tuple<std::string, std::int64_t, Task>> claimed;  // eta, rowid, task
  std::vector<CorruptRow> corrupt;
  for (Query q(db_.prepared(sql::kClaim), c.queue, priority, format_time(now),
               format_time(now + lease), static_cast<std::int64_t>(c.n - out.size()));
       q->step();) {
    try {
      claimed.emplace_back(q->text(sql::kEta), q->integer(sql::kRowid), read_task(*q));
    } catch (const SerializationError& e) {
      corrupt.push_back(corrupt_row(*q, e.what()));
    }
  }
  for (const CorruptRow& row : corrupt) fail_corrupt(row, now);
  // RETURNING gives no order: within a priority, claim order is eta, then rowid.
  std::sort(claimed.begin(), claimed.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
  });
  for (auto& row : claimed) out.push_back(std::move(std::get<2>(row)));
}

CancelResult SqliteWriter::cancel(const std::string& id, Timestamp now) {
  Task t;
  std::int64_t rowid = 0;
  {
    Query q(db_.prepared(sql::kTaskById), id);
    if (!q->step()) throw NotFoundError("no task with id " + id);
    rowid = q->integer(sql::kRowid);
    try {
      t = read_task(*q);
    } catch (const SerializationError&) {
      t = read_named(db_, *q, id, read_claim);  // a row whose values are unreadable still cancels
    }
  }
  if (is_terminal(t.status)) return CancelResult::already_finished;
  if (t.status == TaskStatus::RUNNING) {
    Query(db_.prepared(sql::kRequestCancel), rowid)->run();
    return CancelResult::requested;
  }
  Query(db_.prepared(sql::kCancel), rowid, format_time(now))->run();
  upsert(cancelled_result(t, now));
  return CancelResult::cancelled;
}

std::vector<Applied> SqliteWriter::renew(std::span<const Claim> claims, Timestamp until) {
  std::string until_text = format_time(until);
  std::vector<Applied> out;
  for (const Claim& c : claims) {
    Query q(db_.prepared(sql::kRenew), c.task_id, c.attempt, until_text);
    if (!q->step()) {
      out.push_back(Applied::not_current);
    } else {
      out.push_back(q->integer(0) != 0 ? Applied::cancel_requested : Applied::yes);
    }
  }
  return out;
}

std::size_t SqliteWriter::purge(Timestamp older_than) {
  std::string cutoff = format_time(older_than);
  int purged = Query(db_.prepared(sql::kPurgeResults), cutoff)->run();
  Query(db_.prepared(sql::kPurgeTasks), cutoff)->run();
  return static_cast<std::size_t>(purged);
}

void SqliteWriter::set_paused(const std::string& queue, bool paused) {
  Query(db_.prepared(sql::kSetPaused), queue, int{paused})->run();
}

void SqliteWriter::record_worker(const WorkerInfo& w) {
  Query(db_.prepared(sql::kRecordWorker), w.id, w.host, w.pid,
        JsonSerializer().encode(Value(w.queues)), format_time(w.started_at), format_time(w.seen_at))
      ->run();
  Query(db_.prepared(sql::kForgetWorkers), format_time(w.seen_at - kWorkerMemory))->run();
}

void SqliteWriter::fail_corrupt(const CorruptRow& row, Timestamp now) {
  TaskError e = TaskError::make("CorruptTask",
                                "omniq cannot read this task's stored row (" + row.reason +
                                    "); it was marked FAILED so that the queue goes on",
                                now, false);
  if (Query(db_.prepared(sql::kFailCorrupt), row.rowid, format_time(now), encode_error(e))->run() ==
      0) {
    return;  // finished meanwhile
  }
  std::string id = row.id.value_or("").substr(0, 64);
  if (!id.empty()) {
    upsert(TaskResult{id, TaskStatus::FAILED, std::nullopt, e, now, row.attempts, std::nullopt});
  }
  logger()->error(
      "task {} (row {}) in SQLite database \"{}\" cannot be read and was marked "
      "FAILED: {}",
      id.empty() ? "without id" : id, row.rowid, db_.path(), row.reason);
}

void SqliteWriter::upsert(const TaskResult& r) {
  Query q(db_.prepared(sql::kUpsertResult));
  bind_result(*q, r);
  q->run();
}

}  // namespace omniq
