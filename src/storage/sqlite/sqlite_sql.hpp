// The SQL of the SQLite store: schema, indexes and every statement it
// prepares, in one place so the query-plan tests can EXPLAIN the very text the
// store runs. Internal to the library.
//
// Waiting tasks (PENDING, RETRYING) are found through the partial index
// omniq_tasks_claim on (queue, priority, eta); its rowid order is enqueue
// order. A claim seeks one priority group at a time ("queue = ? AND priority =
// ? AND eta <= ?"), so tasks due later are never walked. `eta` is compared as
// text: every writer must use format_time's form, and rows that do not (the
// original library's NULL, naive or offset etas) are listed by the partial
// index omniq_tasks_odd_eta, empty in a database only omniq writes, and
// rewritten before a claim. Running tasks are found by lease expiry through
// omniq_tasks_lease. Hot queries name their index (INDEXED BY): the planner
// has no statistics, and a missing index then fails loudly instead of scanning.
#pragma once

#include <string>

#include "omniq/storage.hpp"

namespace omniq::sql {

// PRAGMA user_version of omniq's schema. 0 = no omniq schema yet (new file, or
// one the original library wrote); 1 = omniq before queues and priorities.
inline constexpr int kSchemaVersion = 2;

// Parts of the statements below.
inline const std::string kWaiting = "status IN ('PENDING', 'RETRYING')";
// A row holds its unique key while its status's bit (bit i = TaskStatus i) is set.
inline const std::string kHoldsKey =
    "unique_key IS NOT NULL AND (unique_statuses & (CASE status WHEN 'PENDING' THEN 1 WHEN "
    "'RUNNING' THEN 2 WHEN 'SUCCESS' THEN 4 WHEN 'FAILED' THEN 8 WHEN 'RETRYING' THEN 16 WHEN "
    "'CANCELLED' THEN 32 ELSE 0 END)) != 0";
// An eta that is not "YYYY-MM-DDTHH:MM:SS.ffffff+00:00" (format_time's form).
inline const std::string kOddEta =
    "(eta IS NULL OR length(eta) != 32 OR substr(eta, 11, 1) != 'T' OR substr(eta, 27) != "
    "'+00:00')";
inline const std::string kClaimIndex = "tasks INDEXED BY omniq_tasks_claim";
inline const std::string kOddEtaIndex = "tasks INDEXED BY omniq_tasks_odd_eta";
inline const std::string kLeaseIndex = "tasks INDEXED BY omniq_tasks_lease";

// The columns of kTaskColumns.
enum TaskColumn {
  kId,
  kFuncPath,
  kArgs,
  kKwargs,
  kStatus,
  kSchedule,
  kEta,
  kMaxRetries,
  kTimeout,
  kAttempts,
  kCreatedAt,
  kUpdatedAt,
  kLastAttemptAt,
  kError,
  kLeaseExpiresAt,
  kCancelRequested,
  kQueue,
  kPriority,
  kUniqueKey,
  kUniqueStatuses,
  kRetryOf,
  kRowid,
};
// The columns of kResultColumns.
enum ResultColumn {
  kRTaskId,
  kRStatus,
  kRResult,
  kRError,
  kRFinishedAt,
  kRAttempts,
  kRLastAttemptAt,
  kRErrorDetail,
};

// The original library's tables, as far as every version of it has them;
// ensure_sqlite_schema adds the other columns (all with defaults, so the
// original's INSERTs keep working).
inline const char* const kCreateTasks = R"(CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  func_path TEXT NOT NULL,
  args TEXT NOT NULL,
  kwargs TEXT NOT NULL,
  status TEXT NOT NULL,
  schedule TEXT NOT NULL,
  eta TEXT,
  max_retries INTEGER NOT NULL,
  timeout INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
))";

inline const char* const kCreateResults = R"(CREATE TABLE results (
  task_id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  result TEXT,
  error TEXT,
  finished_at TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE CASCADE
))";

// omniq's own tables and indexes (IF NOT EXISTS: run at every open).
inline const std::string kCreateOwn =
    "DROP INDEX IF EXISTS omniq_tasks_due;\n"  // version 1's, replaced by omniq_tasks_claim
    "CREATE INDEX IF NOT EXISTS omniq_tasks_claim ON tasks (queue, priority, eta) WHERE " +
    kWaiting +
    ";\n"
    "CREATE INDEX IF NOT EXISTS omniq_tasks_odd_eta ON tasks (eta) WHERE " +
    kWaiting + " AND " + kOddEta +
    ";\n"
    "CREATE INDEX IF NOT EXISTS omniq_tasks_lease ON tasks (lease_expires_at) WHERE status = "
    "'RUNNING';\n"
    "CREATE UNIQUE INDEX IF NOT EXISTS omniq_tasks_unique ON tasks (unique_key) WHERE " +
    kHoldsKey +
    ";\n"
    "CREATE TABLE IF NOT EXISTS omniq_queues (name TEXT PRIMARY KEY, paused INTEGER NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS omniq_workers (id TEXT PRIMARY KEY, host TEXT NOT NULL, pid "
    "INTEGER NOT NULL, queues TEXT NOT NULL, started_at TEXT NOT NULL, seen_at TEXT NOT NULL);\n";

// What every task and result read selects, in TaskColumn and ResultColumn order.
inline const std::string kTaskColumns =
    "id, func_path, args, kwargs, status, schedule, eta, max_retries, timeout, attempts, "
    "created_at, updated_at, last_attempt_at, error, lease_expires_at, cancel_requested, queue, "
    "priority, unique_key, unique_statuses, retry_of, rowid";
inline const std::string kResultColumns =
    "task_id, status, result, error, finished_at, attempts, last_attempt_at, error_detail";

// Writes (run inside a write transaction). ?1..?21 in TaskColumn order; a
// task whose unique key a live task holds is not inserted.
inline const std::string kInsertTask =
    "INSERT INTO tasks (id, func_path, args, kwargs, status, schedule, eta, max_retries, "
    "timeout, attempts, created_at, updated_at, last_attempt_at, error, lease_expires_at, "
    "cancel_requested, queue, priority, unique_key, unique_statuses, retry_of) VALUES (?1, ?2, "
    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21) "
    "ON CONFLICT (unique_key) WHERE " +
    kHoldsKey + " DO NOTHING";

// ?1 key: the id of the task holding it.
inline const std::string kUniqueHolder =
    "SELECT id FROM tasks INDEXED BY omniq_tasks_unique WHERE unique_key = ?1 AND " + kHoldsKey;

// The waiting rows whose eta is not in format_time's form.
inline const std::string kOddEtas =
    "SELECT " + kTaskColumns + " FROM " + kOddEtaIndex + " WHERE " + kWaiting + " AND " + kOddEta;

inline const std::string kSetEta = "UPDATE tasks SET eta = ?2 WHERE rowid = ?1";

// ?1 queue, ?2 priority, ?3 now, ?4 lease expiry, ?5 limit.
inline const std::string kClaim =
    "UPDATE tasks SET status = 'RUNNING', attempts = attempts + 1, last_attempt_at = ?3, "
    "updated_at = ?3, lease_expires_at = ?4 WHERE rowid IN (SELECT rowid FROM " +
    kClaimIndex + " WHERE " + kWaiting +
    " AND queue = ?1 AND priority = ?2 AND eta <= ?3 ORDER BY eta, rowid LIMIT ?5) RETURNING " +
    kTaskColumns;

// ?1 rowid, ?2 now, ?3 error JSON; a row that finished meanwhile is left alone.
inline const std::string kFailCorrupt =
    "UPDATE tasks SET status = 'FAILED', updated_at = ?2, error = ?3, lease_expires_at = NULL "
    "WHERE rowid = ?1 AND status IN ('PENDING', 'RUNNING', 'RETRYING')";

// ?1 rowid, ?2 status, ?3 at, ?4 next eta (waiting outcomes only; also
// written into the schedule JSON, unless that is unreadable), ?5 error.
inline const std::string kApplyOutcome =
    "UPDATE tasks SET status = ?2, updated_at = ?3, lease_expires_at = NULL, eta = coalesce(?4, "
    "eta), schedule = CASE WHEN ?4 IS NULL OR NOT json_valid(schedule) THEN schedule ELSE "
    "json_set(schedule, '$.eta', ?4) END, error = ?5 WHERE rowid = ?1";

// ?1..?8 in ResultColumn order.
inline const std::string kUpsertResult = "INSERT OR REPLACE INTO results (" + kResultColumns +
                                         ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

inline const std::string kRequestCancel = "UPDATE tasks SET cancel_requested = 1 WHERE rowid = ?1";
inline const std::string kCancel =
    "UPDATE tasks SET status = 'CANCELLED', updated_at = ?2, lease_expires_at = NULL WHERE "
    "rowid = ?1";

// ?1 id, ?2 attempt, ?3 lease expiry.
inline const std::string kRenew =
    "UPDATE tasks SET lease_expires_at = ?3 WHERE id = ?1 AND status = 'RUNNING' AND "
    "attempts = ?2 RETURNING cancel_requested";

inline const std::string kPurgeResults = "DELETE FROM results WHERE finished_at < ?1";
inline const std::string kPurgeTasks =
    "DELETE FROM tasks WHERE status IN ('SUCCESS', 'FAILED', 'CANCELLED') AND updated_at < ?1 "
    "AND NOT EXISTS (SELECT 1 FROM results WHERE results.task_id = tasks.id)";

inline const std::string kSetPaused =
    "INSERT INTO omniq_queues (name, paused) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET "
    "paused = excluded.paused";

inline const std::string kRecordWorker =
    "INSERT OR REPLACE INTO omniq_workers (id, host, pid, queues, started_at, seen_at) VALUES "
    "(?1, ?2, ?3, ?4, ?5, ?6)";
inline const std::string kForgetWorkers = "DELETE FROM omniq_workers WHERE seen_at < ?1";

// Reads (either connection).
inline const std::string kTaskById = "SELECT " + kTaskColumns + " FROM tasks WHERE id = ?1";
inline const std::string kResultById =
    "SELECT " + kResultColumns + " FROM results WHERE task_id = ?1";

// ?1 queue, ?2 priority: (priority, eta) of the first waiting task of the
// queue's next priority group after ?2 (rows with an odd eta left out); none
// when the queue is paused.
inline const std::string kNextGroup =
    "SELECT priority, eta FROM " + kClaimIndex + " WHERE " + kWaiting + " AND NOT " + kOddEta +
    " AND queue = ?1 AND priority > ?2 AND NOT EXISTS (SELECT 1 FROM omniq_queues WHERE name = "
    "?1 AND paused) ORDER BY priority, eta LIMIT 1";

// ?1 queue, ?2 priority: (queue, priority, eta) of the first waiting task of
// the next (queue, priority) group after (?1, ?2), odd etas left out.
inline const std::string kNextAnyGroup =
    "SELECT queue, priority, eta FROM " + kClaimIndex + " WHERE " + kWaiting + " AND NOT " +
    kOddEta + " AND (queue, priority) > (?1, ?2) ORDER BY queue, priority, eta LIMIT 1";

// A row when kOddEtas would list one.
inline const std::string kAnyOddEta =
    "SELECT 1 FROM " + kOddEtaIndex + " WHERE " + kWaiting + " AND " + kOddEta + " LIMIT 1";

inline const std::string kCountByQueueAndStatus =
    "SELECT queue, status, count(*) FROM tasks GROUP BY queue, status";
inline const std::string kOldestWaiting =
    "SELECT min(created_at) FROM " + kClaimIndex + " WHERE " + kWaiting;
inline const std::string kPaused = "SELECT name FROM omniq_queues WHERE paused ORDER BY name";

// ?1 now, ?2 limit: oldest lease first.
inline const std::string kExpired =
    "SELECT " + kTaskColumns + " FROM " + kLeaseIndex +
    " WHERE status = 'RUNNING' AND lease_expires_at < ?1 ORDER BY lease_expires_at LIMIT ?2";

// RUNNING rows without a lease (the original's claims).
inline const std::string kLeaseless = "SELECT " + kTaskColumns + " FROM " + kLeaseIndex +
                                      " WHERE status = 'RUNNING' AND lease_expires_at IS NULL";

// ?1 since, ?2 until, in Unix milliseconds: (minute index, results finished
// in it), finished_at read in whatever ISO-8601 form it has.
inline const std::string kFinishedPerMinute =
    "SELECT (ms - ?1) / 60000 AS minute, count(*) FROM (SELECT CAST(round((julianday(finished_at) "
    "- 2440587.5) * 86400000.0) AS INTEGER) AS ms FROM results) WHERE ms >= ?1 AND ms < ?2 GROUP "
    "BY minute";

inline const std::string kWorkers =
    "SELECT id, host, pid, queues, started_at, seen_at FROM omniq_workers WHERE seen_at >= ?1 "
    "ORDER BY id";

// list_tasks with the filter's conditions as ?1 status, ?2 func_path,
// ?3 queue, then ?4 limit and ?5 offset.
inline std::string list_tasks(const TaskFilter& filter) {
  std::string where;
  auto add = [&](const char* condition) {
    where += (where.empty() ? " WHERE " : " AND ") + std::string(condition);
  };
  if (filter.status) add("status = ?1");
  if (filter.func_path) add("func_path = ?2");
  if (filter.queue) add("queue = ?3");
  // ?1..?3 are always bindable: a statement's parameters run up to its largest index.
  return "SELECT " + kTaskColumns + " FROM tasks" + where + " ORDER BY rowid" +
         (filter.newest_first ? " DESC" : "") + " LIMIT ?4 OFFSET ?5";
}

}  // namespace omniq::sql
