#include "sqlite_writer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <tuple>

#include "omniq/logging.hpp"
#include "sqlite_sql.hpp"
#include "storage_rules.hpp"

namespace omniq {
namespace {

std::int64_t clamp_count(std::size_t n) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(std::min(n, kMax));
}

// Finishes a statement whose rows have been read (RETURNING completes at its end).
void drain(SqliteStatement& s) {
  while (s.step()) {
  }
}

}  // namespace

EncodedOutcome encode_outcome(const Outcome& o) {
  EncodedOutcome e;
  e.task_id = o.task_id;
  e.attempt = o.attempt;
  e.status = std::string(to_string(o.status));
  e.at = format_time(o.at);
  if (is_waiting(o.status) && o.next_eta) e.next_eta = format_time(*o.next_eta);
  if (o.error) e.error = encode_error(*o.error);
  if (o.result) e.result = encode_result(o.task_id, *o.result);
  return e;
}

SqliteWriter::SqliteWriter(SqliteDb& db)
    : db_(db),
      insert_(db, sql::kInsertTask),
      claim_(db, sql::kClaim),
      null_etas_(db, sql::kNullEtas),
      set_eta_(db, sql::kSetEta),
      fail_corrupt_(db, sql::kFailCorrupt),
      by_id_(db, sql::kTaskById),
      claim_by_id_(db, sql::kClaimById),
      finish_(db, sql::kFinish),
      upsert_result_(db, sql::kUpsertResult),
      reschedule_(db, sql::kReschedule),
      request_cancel_(db, sql::kRequestCancel),
      cancel_(db, sql::kCancel),
      renew_(db, sql::kRenew),
      release_(db, sql::kRelease),
      expired_(db, sql::kExpired),
      recover_(db, sql::kRecover),
      purge_results_(db, sql::kPurgeResults),
      purge_tasks_(db, sql::kPurgeTasks) {}

void SqliteWriter::insert(std::span<const EncodedTask> rows) {
  for (const EncodedTask& row : rows) {
    StatementUse q(insert_);
    bind_task(*q, row);
    try {
      q->run();
    } catch (const SqliteError& e) {
      if (e.is_unique_violation()) {
        throw ValidationError("a task with id " + row.id + " exists already");
      }
      throw;
    }
  }
}

std::vector<Task> SqliteWriter::claim(Timestamp now, std::size_t n, Duration lease) {
  normalize_null_etas(now);
  std::vector<std::tuple<Timestamp, std::int64_t, Task>> claimed;
  std::vector<CorruptRow> corrupt;
  {
    StatementUse q(claim_);
    q->bind(1, format_time(now));
    q->bind(2, format_time(now + lease));
    q->bind(3, clamp_count(n));
    while (q->step()) {
      try {
        Task t = read_task(*q);
        Timestamp due = due_time(t);
        claimed.emplace_back(due, q->integer(sql::kRowid), std::move(t));
      } catch (const SerializationError& e) {
        corrupt.push_back(corrupt_row(*q, e.what()));
      }
    }
  }
  for (const CorruptRow& row : corrupt) fail_corrupt(row, now);
  // RETURNING gives no order: claim order is eta, then enqueue order (rowid).
  std::sort(claimed.begin(), claimed.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
  });
  std::vector<Task> out;
  out.reserve(claimed.size());
  for (auto& c : claimed) out.push_back(std::move(std::get<2>(c)));
  return out;
}

Task SqliteWriter::mark_running(const std::string& id, Timestamp now, Duration lease) {
  TaskStatus status = status_of(id);
  if (status == TaskStatus::RUNNING) {
    StatementUse q(by_id_);
    q->bind(1, id);
    q->step();
    return read_named(*q, id);
  }
  check_transition(status, TaskStatus::RUNNING);
  StatementUse q(claim_by_id_);
  q->bind(1, id);
  q->bind(2, format_time(now));
  q->bind(3, format_time(now + lease));
  if (!q->step()) throw NotFoundError("no task with id " + id);
  Task t = read_named(*q, id);  // throwing rolls the claim back with the request
  drain(*q);
  return t;
}

std::vector<bool> SqliteWriter::finish(std::span<const EncodedOutcome> outcomes) {
  std::vector<bool> applied;
  applied.reserve(outcomes.size());
  for (const EncodedOutcome& o : outcomes) {
    bool ok;
    {
      StatementUse q(finish_);
      q->bind_ref(1, o.task_id);
      q->bind(2, o.attempt);
      q->bind_ref(3, o.status);
      q->bind_ref(4, o.at);
      q->bind_ref(5, o.next_eta);
      q->bind_ref(6, o.error);
      ok = q->run() == 1;
    }
    if (ok && o.result) upsert(*o.result);
    applied.push_back(ok);
  }
  return applied;
}

void SqliteWriter::reschedule(const std::string& id, Timestamp eta) {
  TaskStatus status = status_of(id);
  if (!is_waiting(status)) {
    Task t;
    t.id = id;
    t.status = status;
    check_reschedulable(t);
  }
  StatementUse q(reschedule_);
  q->bind(1, id);
  q->bind(2, format_time(eta));
  q->run();
}

CancelResult SqliteWriter::cancel(const std::string& id, Timestamp now) {
  TaskStatus status = status_of(id);
  if (is_terminal(status)) return CancelResult::already_finished;
  if (status == TaskStatus::RUNNING) {
    StatementUse q(request_cancel_);
    q->bind(1, id);
    q->run();
    return CancelResult::requested;
  }
  Task t;
  {
    StatementUse q(by_id_);
    q->bind(1, id);
    q->step();
    try {
      t = read_task(*q);
    } catch (const SerializationError&) {
      // A waiting row omniq cannot read can still be cancelled.
      t.id = id;
      t.status = status;
      if (q->type(sql::kAttempts) == ColumnType::integer) {
        t.attempts = static_cast<int>(q->integer(sql::kAttempts));
      }
    }
  }
  {
    StatementUse q(cancel_);
    q->bind(1, id);
    q->bind(2, format_time(now));
    q->run();
  }
  upsert(encode_result(id, cancelled_result(t, now)));
  return CancelResult::cancelled;
}

std::vector<Claim> SqliteWriter::renew(std::span<const Claim> claims, Timestamp until) {
  std::string until_text = format_time(until);
  std::vector<Claim> stop;
  for (const Claim& c : claims) {
    StatementUse q(renew_);
    q->bind(1, c.task_id);
    q->bind(2, c.attempt);
    q->bind(3, until_text);
    if (!q->step()) {
      stop.push_back(c);  // no longer current
      continue;
    }
    bool cancel_requested = q->integer(0) != 0;
    drain(*q);
    if (cancel_requested) stop.push_back(c);
  }
  return stop;
}

void SqliteWriter::release(std::span<const Claim> claims, Timestamp now) {
  std::string now_text = format_time(now);
  for (const Claim& c : claims) {
    StatementUse q(release_);
    q->bind(1, c.task_id);
    q->bind(2, c.attempt);
    q->bind(3, now_text);
    q->run();
  }
}

std::size_t SqliteWriter::purge(Timestamp older_than) {
  std::string cutoff = format_time(older_than);
  std::size_t purged;
  {
    StatementUse q(purge_results_);
    q->bind(1, cutoff);
    purged = static_cast<std::size_t>(q->run());
  }
  StatementUse q(purge_tasks_);
  q->bind(1, cutoff);
  q->run();
  return purged;
}

std::size_t SqliteWriter::recover(Timestamp now) {
  std::vector<std::pair<std::int64_t, Task>> expired;
  std::vector<CorruptRow> corrupt;
  {
    StatementUse q(expired_);
    q->bind(1, format_time(now));
    while (q->step()) {
      try {
        expired.emplace_back(q->integer(sql::kRowid), read_task(*q));
      } catch (const SerializationError& e) {
        corrupt.push_back(corrupt_row(*q, e.what()));
      }
    }
  }
  for (auto& [rowid, t] : expired) {
    std::optional<TaskResult> result = apply_recovery(t, now);
    {
      StatementUse q(recover_);
      q->bind(1, rowid);
      q->bind(2, to_string(t.status));
      q->bind(3, format_time(t.updated_at));
      q->bind(4, encode_error(*t.error));
      q->bind(5, format_time(due_time(t)));
      q->bind(6, encode_schedule(t.schedule));
      q->run();
    }
    if (result) upsert(encode_result(t.id, *result));
  }
  for (const CorruptRow& row : corrupt) fail_corrupt(row, now);
  return expired.size() + corrupt.size();
}

SqliteWriter::CorruptRow SqliteWriter::corrupt_row(const SqliteStatement& row,
                                                   const std::string& reason) {
  CorruptRow c;
  c.rowid = row.integer(sql::kRowid);
  c.id = row.opt_text(sql::kId);
  if (row.type(sql::kAttempts) == ColumnType::integer) c.attempts = row.integer(sql::kAttempts);
  c.reason = reason;
  return c;
}

void SqliteWriter::normalize_null_etas(Timestamp now) {
  std::vector<std::pair<CorruptRow, std::string>> rows;  // the row, its created_at
  {
    StatementUse q(null_etas_);
    while (q->step()) {
      CorruptRow r;
      r.rowid = q->integer(0);
      r.id = q->opt_text(1);
      if (q->type(3) == ColumnType::integer) r.attempts = q->integer(3);
      rows.emplace_back(std::move(r), q->text(2));
    }
  }
  for (auto& [row, created_at] : rows) {
    try {
      std::string eta = format_time(parse_time(created_at));
      StatementUse q(set_eta_);
      q->bind(1, row.rowid);
      q->bind(2, eta);
      q->run();
    } catch (const SerializationError& e) {
      row.reason = std::string("column created_at: ") + e.what();
      fail_corrupt(row, now);
    }
  }
}

void SqliteWriter::fail_corrupt(const CorruptRow& row, Timestamp now) {
  TaskError e{"CorruptTask",
              "omniq cannot read this task's stored row (" + row.reason +
                  "); it was marked FAILED so that the queue goes on",
              now,
              std::nullopt,
              0,
              false};
  {
    StatementUse q(fail_corrupt_);
    q->bind(1, row.rowid);
    q->bind(2, format_time(now));
    q->bind(3, encode_error(e));
    q->run();
  }
  std::string id = row.id.value_or("").substr(0, 64);
  if (!id.empty()) {
    TaskResult r{
        id, TaskStatus::FAILED, std::nullopt, e, now, static_cast<int>(row.attempts), std::nullopt};
    upsert(encode_result(id, r));
  }
  logger()->error(
      "task {} (row {}) in SQLite database \"{}\" cannot be read and was marked "
      "FAILED: {}",
      id.empty() ? "without id" : id, row.rowid, db_.path(), row.reason);
}

void SqliteWriter::upsert(const EncodedResult& r) {
  StatementUse q(upsert_result_);
  bind_result(*q, r);
  q->run();
}

TaskStatus SqliteWriter::status_of(const std::string& id) {
  StatementUse q(by_id_);
  q->bind(1, id);
  if (!q->step()) throw NotFoundError("no task with id " + id);
  std::string text = q->text(sql::kStatus);
  auto status = parse_status(text);
  if (!status) {
    throw SerializationError("task " + id + " has status \"" + text.substr(0, 32) +
                             "\", which is none of PENDING, RUNNING, SUCCESS, FAILED, RETRYING, "
                             "CANCELLED");
  }
  return *status;
}

Task SqliteWriter::read_named(const SqliteStatement& row, const std::string& id) const {
  try {
    return read_task(row);
  } catch (const SerializationError& e) {
    throw SerializationError("task " + id + " in SQLite database \"" + db_.path() +
                             "\" cannot be read: " + e.what());
  }
}

}  // namespace omniq
