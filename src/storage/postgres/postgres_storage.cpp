#include "postgres_storage.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "base/log_events.hpp"
#include "pg_codec.hpp"
#include "pg_result.hpp"
#include "pg_schema.hpp"
#include "pg_session.hpp"
#include "pg_sql.hpp"
#include "pg_watch.hpp"
#include "pg_writer.hpp"
#include "storage/storage_rules.hpp"

namespace omniq {
namespace {

// Runs one statement (its own transaction) on the slot's connection.
PgResult run(PgSlot& slot, const PgTarget& target, const std::string& sql,
             const PgParams& params = {}) {
  Deadline deadline = target.deadline();
  auto conn = slot.use(deadline);
  return conn->exec(sql, params, deadline);
}

// The tasks in `r`; rows that cannot be decoded are logged and left out.
std::vector<Task> read_tasks(const PgResult& r, const PgTarget& target) {
  std::vector<Task> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int row = 0; row < r.rows(); ++row) {
    try {
      out.push_back(read_task(r, row));
    } catch (const SerializationError& e) {
      logger()->error("task {} in PostgreSQL schema \"{}\" cannot be read and is left out: {}",
                      std::string(r.text(row, kColId).substr(0, 64)), target.schema, e.what());
    }
  }
  return out;
}

// The task in the first row of `r`. Throws SerializationError naming it.
Task read_named(const PgResult& r, std::string_view id, const PgTarget& target) {
  try {
    return read_task(r, 0);
  } catch (const SerializationError& e) {
    throw SerializationError("task " + std::string(id) + " in PostgreSQL schema \"" +
                             target.schema + "\" cannot be read: " + e.what());
  }
}

}  // namespace

PostgresStorage::PostgresStorage(const Options& options)
    : target_(std::make_unique<PgTarget>(
          PgTarget::parse(options.url, options.durability, options.timeout))),
      writer_(std::make_unique<PgSlot>(*target_)),
      reader_(std::make_unique<PgSlot>(*target_)) {
  migrate(*writer_, *target_, target_->deadline());
}

PostgresStorage::~PostgresStorage() = default;

WriteResult PostgresStorage::write(const WriteBatch& batch) {
  if (closed_) throw StorageError("the PostgreSQL store is closed");
  check_batch(batch);
  std::set<std::string_view> ids;
  for (const Task& t : batch.enqueue) {
    if (!ids.insert(t.id).second)
      throw ValidationError("a task with id " + t.id + " exists already");
  }
  if (batch.enqueue.empty() && batch.outcomes.empty() && batch.claims.empty()) return {};
  // Enqueues and outcomes write anyway: their transaction's id costs nothing.
  bool with_xid = !batch.enqueue.empty() || !batch.outcomes.empty();
  // Claims alone need not be on disk when they return (as on SQLite): a server
  // crash can only undo a claim, and its task then runs again.
  bool light = !with_xid && target_->durability == Durability::full;
  Deadline deadline = target_->deadline();
  return in_transaction(*writer_, deadline, with_xid, [&](PgConnection& conn) {
    if (light) conn.exec_script("SET LOCAL synchronous_commit = off", deadline);
    PgWriter w(conn, target_->schema, deadline);
    WriteResult r;
    if (!batch.enqueue.empty()) r.enqueued = w.insert(batch.enqueue);
    if (!batch.outcomes.empty()) r.applied = w.apply(batch.outcomes);
    for (const QueueClaim& c : batch.claims) {
      for (Task& t : w.claim(c, batch.now, batch.lease)) r.claimed.push_back(std::move(t));
    }
    return r;
  });
}

CancelResult PostgresStorage::cancel(std::string_view id, Timestamp now) {
  Deadline deadline = target_->deadline();
  validate_id(id);
  return in_transaction(*writer_, deadline, true, [&](PgConnection& conn) {
    PgResult r = conn.exec(sql::kLockTaskById, PgParams().text(id), deadline);
    if (r.rows() == 0) throw NotFoundError("no task with id " + std::string(id));
    Task t = read_named(r, id, *target_);
    if (is_terminal(t.status)) return CancelResult::already_finished;
    if (t.status == TaskStatus::RUNNING) {
      conn.exec(sql::kRequestCancel, PgParams().text(id), deadline);
      return CancelResult::requested;
    }
    transition(t, TaskStatus::CANCELLED, now);
    conn.exec(sql::kCancelWaiting, PgParams().text(id).time(now), deadline);
    conn.exec(sql::kUpsertResult, PgParams().text(json_text(to_value(cancelled_result(t, now)))),
              deadline);
    return CancelResult::cancelled;
  });
}

std::vector<Applied> PostgresStorage::renew_leases(std::span<const Claim> claims, Timestamp until) {
  if (claims.empty()) return {};
  Value rows = Value::array();
  for (const Claim& c : claims) {
    validate_id(c.task_id);
    rows.push_back({{"id", c.task_id}, {"attempt", c.attempt}});
  }
  PgResult r =
      run(*writer_, *target_, sql::kRenewLeases, PgParams().text(json_text(rows)).time(until));
  std::map<std::pair<std::string, std::int64_t>, bool> current;  // -> cancel requested
  for (int row = 0; row < r.rows(); ++row) {
    current[{std::string(r.text(row, 0)), r.integer(row, 1)}] = r.boolean(row, 2);
  }
  std::vector<Applied> out;
  for (const Claim& c : claims) {
    auto it = current.find({c.task_id, c.attempt});
    out.push_back(it == current.end() ? Applied::not_current
                  : it->second        ? Applied::cancel_requested
                                      : Applied::yes);
  }
  return out;
}

std::vector<Task> PostgresStorage::expired(Timestamp now, std::size_t limit) {
  PgResult r = run(*reader_, *target_, sql::kExpired, PgParams().time(now).count(limit));
  return read_tasks(r, *target_);
}

std::optional<Task> PostgresStorage::get_task(std::string_view id) {
  validate_id(id);
  PgResult r = run(*reader_, *target_, sql::kTaskById, PgParams().text(id));
  if (r.rows() == 0) return std::nullopt;
  return read_named(r, id, *target_);
}

std::optional<TaskResult> PostgresStorage::get_result(std::string_view id) {
  validate_id(id);
  PgResult r = run(*reader_, *target_, sql::kResultById, PgParams().text(id));
  if (r.rows() == 0) return std::nullopt;
  try {
    return read_result(r, 0);
  } catch (const SerializationError& e) {
    throw SerializationError("the result of task " + std::string(id) +
                             " cannot be read: " + e.what());
  }
}

std::vector<Task> PostgresStorage::list_tasks(const TaskFilter& filter) {
  PgParams p;
  p.opt_text(filter.status ? std::optional<std::string>(to_string(*filter.status)) : std::nullopt)
      .opt_text(filter.func_path)
      .opt_text(filter.queue)
      .count(filter.limit)
      .count(filter.offset);
  PgResult r = run(*reader_, *target_,
                   filter.newest_first ? sql::kListNewestFirst : sql::kListOldestFirst, p);
  return read_tasks(r, *target_);
}

QueueStats PostgresStorage::stats() {
  Deadline deadline = target_->deadline();
  auto conn = reader_->use(deadline);
  QueueStats s;
  PgResult counts = conn->exec(sql::kCountByQueue, deadline);
  for (int row = 0; row < counts.rows(); ++row) {
    auto status = parse_status(counts.text(row, 1));
    if (!status) continue;  // a row omniq cannot read counts nowhere
    auto i = static_cast<std::size_t>(*status);
    auto n = static_cast<std::size_t>(counts.integer(row, 2));
    s.counts[i] += n;
    s.queues[std::string(counts.text(row, 0))][i] += n;
  }
  PgResult paused = conn->exec(sql::kPausedQueues, deadline);
  for (int row = 0; row < paused.rows(); ++row) s.paused.emplace_back(paused.text(row, 0));
  PgResult oldest = conn->exec(sql::kOldestWaiting, deadline);
  if (!oldest.is_null(0, 0)) s.oldest_pending = read_time(oldest, 0, 0);
  return s;
}

std::optional<Timestamp> PostgresStorage::next_eta() {
  PgResult r = run(*reader_, *target_, sql::kNextEta);
  if (r.is_null(0, 0)) return std::nullopt;
  return read_time(r, 0, 0);
}

std::size_t PostgresStorage::purge_results(Timestamp older_than) {
  Deadline deadline = target_->deadline();
  return in_transaction(*writer_, deadline, false, [&](PgConnection& conn) {
    auto purged = conn.exec(sql::kPurgeResults, PgParams().time(older_than), deadline).affected();
    conn.exec(sql::kPurgeTasks, PgParams().time(older_than), deadline);
    return static_cast<std::size_t>(purged);
  });
}

void PostgresStorage::set_paused(std::string_view queue, bool paused) {
  validate_name(queue, "queue");
  run(*writer_, *target_, sql::kSetPaused, PgParams().text(queue).boolean(paused));
}

std::vector<std::size_t> PostgresStorage::finished_per_minute(Timestamp since, Timestamp until) {
  std::vector<std::size_t> counts(minutes_between(since, until));
  PgResult r = run(*reader_, *target_, sql::kFinishedPerMinute, PgParams().time(since).time(until));
  for (int row = 0; row < r.rows(); ++row) {
    auto minute = static_cast<std::size_t>(r.integer(row, 0));
    if (minute < counts.size()) counts[minute] = static_cast<std::size_t>(r.integer(row, 1));
  }
  return counts;
}

void PostgresStorage::record_worker(const WorkerInfo& worker) {
  Value queues = Value::object();
  for (const auto& [name, n] : worker.queues) queues[name] = n;
  PgParams p;
  p.text(worker.id)
      .text(worker.host)
      .integer(worker.pid)
      .text(json_text(queues))
      .time(worker.started_at)
      .time(worker.seen_at)
      .time(worker.seen_at - kWorkerMemory);
  run(*writer_, *target_, sql::kRecordWorker, p);
}

std::vector<WorkerInfo> PostgresStorage::workers(Timestamp since) {
  PgResult r = run(*reader_, *target_, sql::kWorkersSince, PgParams().time(since));
  std::vector<WorkerInfo> out;
  for (int row = 0; row < r.rows(); ++row) out.push_back(read_worker(r, row));
  return out;
}

std::unique_ptr<ChangeWatch> PostgresStorage::watch() {
  if (closed_) throw StorageError("the PostgreSQL store is closed");
  return std::make_unique<PgWatch>(*target_);
}

void PostgresStorage::close() {
  closed_ = true;
  writer_->close();
  reader_->close();
}

std::string PostgresStorage::server_setting(const std::string& name) {
  return std::string(run(*writer_, *target_, sql::kSetting, PgParams().text(name)).text(0, 0));
}

}  // namespace omniq
