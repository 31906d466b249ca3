#include "sqlite_sql.hpp"

namespace omniq::sql {
namespace {

const std::string kWaiting = "status IN ('PENDING', 'RETRYING')";
const std::string kDueIndex = "tasks INDEXED BY omniq_tasks_due";
// Sets schedule.eta in the schedule JSON, keeping its other keys; a schedule
// that is not valid JSON is left alone (the row is reported when it is read).
std::string schedule_with_eta(const std::string& param) {
  return "CASE WHEN json_valid(schedule) THEN json_set(schedule, '$.eta', " + param +
         ") ELSE schedule END";
}

}  // namespace

const char* const kCreateTasks = R"(CREATE TABLE tasks (
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
  updated_at TEXT NOT NULL,
  last_attempt_at TEXT,
  error TEXT,
  lease_expires_at TEXT DEFAULT NULL,
  cancel_requested INTEGER NOT NULL DEFAULT 0
))";

const char* const kCreateResults = R"(CREATE TABLE results (
  task_id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  result TEXT,
  error TEXT,
  finished_at TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  last_attempt_at TEXT,
  error_detail TEXT DEFAULT NULL,
  FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE CASCADE
))";

const char* const kCreateIndexes = R"(
CREATE INDEX IF NOT EXISTS omniq_tasks_due ON tasks (eta) WHERE status IN ('PENDING', 'RETRYING');
CREATE INDEX IF NOT EXISTS omniq_tasks_lease ON tasks (lease_expires_at) WHERE status = 'RUNNING';
)";

const std::string kTaskColumns =
    "id, func_path, args, kwargs, status, schedule, eta, max_retries, timeout, attempts, "
    "created_at, updated_at, last_attempt_at, error, lease_expires_at, cancel_requested, rowid";

const std::string kResultColumns =
    "task_id, status, result, error, finished_at, attempts, last_attempt_at, error_detail";

const std::string kInsertTask =
    "INSERT INTO tasks (id, func_path, args, kwargs, status, schedule, eta, max_retries, "
    "timeout, attempts, created_at, updated_at, last_attempt_at, error, lease_expires_at, "
    "cancel_requested) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
    "?15, ?16)";

const std::string kClaim =
    "UPDATE tasks SET status = 'RUNNING', attempts = attempts + 1, last_attempt_at = ?1, "
    "updated_at = ?1, lease_expires_at = ?2, cancel_requested = 0 WHERE rowid IN (SELECT rowid "
    "FROM " +
    kDueIndex + " WHERE " + kWaiting +
    " AND eta <= ?1 ORDER BY eta, rowid LIMIT ?3) "
    "RETURNING " +
    kTaskColumns;

const std::string kNullEtas = "SELECT rowid, id, created_at, attempts FROM " + kDueIndex +
                              " WHERE " + kWaiting + " AND eta IS NULL";

const std::string kSetEta = "UPDATE tasks SET eta = ?2 WHERE rowid = ?1";

const std::string kFailCorrupt =
    "UPDATE tasks SET status = 'FAILED', updated_at = ?2, error = ?3, lease_expires_at = NULL, "
    "cancel_requested = 0 WHERE rowid = ?1";

const std::string kClaimById =
    "UPDATE tasks SET status = 'RUNNING', attempts = attempts + 1, last_attempt_at = ?2, "
    "updated_at = ?2, lease_expires_at = ?3, cancel_requested = 0 WHERE id = ?1 RETURNING " +
    kTaskColumns;

// An interval re-arm (PENDING) clears the error; other outcomes keep the
// recorded one unless they bring their own. ?5 is NULL for terminal outcomes.
const std::string kFinish =
    "UPDATE tasks SET status = ?3, updated_at = ?4, lease_expires_at = NULL, "
    "cancel_requested = 0, eta = coalesce(?5, eta), schedule = CASE WHEN ?5 IS NULL THEN "
    "schedule ELSE " +
    schedule_with_eta("?5") +
    " END, error = CASE WHEN ?3 = 'PENDING' THEN "
    "NULL ELSE coalesce(?6, error) END WHERE id = ?1 AND status = 'RUNNING' AND attempts = ?2";

const std::string kUpsertResult = "INSERT OR REPLACE INTO results (" + kResultColumns +
                                  ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

const std::string kReschedule =
    "UPDATE tasks SET eta = ?2, schedule = " + schedule_with_eta("?2") + " WHERE id = ?1";

const std::string kRequestCancel = "UPDATE tasks SET cancel_requested = 1 WHERE id = ?1";

const std::string kCancel =
    "UPDATE tasks SET status = 'CANCELLED', updated_at = ?2, lease_expires_at = NULL, "
    "cancel_requested = 0 WHERE id = ?1";

const std::string kRenew =
    "UPDATE tasks SET lease_expires_at = ?3 WHERE id = ?1 AND status = 'RUNNING' AND "
    "attempts = ?2 RETURNING cancel_requested";

// The original writes the JSON text 'null' for "no error".
const std::string kRelease =
    "UPDATE tasks SET status = CASE WHEN error IS NULL OR error = 'null' THEN 'PENDING' ELSE "
    "'RETRYING' END, attempts = max(attempts - 1, 0), updated_at = ?3, lease_expires_at = NULL, "
    "cancel_requested = 0 WHERE id = ?1 AND status = 'RUNNING' AND attempts = ?2";

const std::string kExpired = "SELECT " + kTaskColumns +
                             " FROM tasks INDEXED BY omniq_tasks_lease WHERE status = 'RUNNING' "
                             "AND lease_expires_at < ?1";

const std::string kRecover =
    "UPDATE tasks SET status = ?2, updated_at = ?3, error = ?4, eta = ?5, schedule = ?6, "
    "lease_expires_at = NULL, cancel_requested = 0 WHERE rowid = ?1";

const std::string kPurgeResults = "DELETE FROM results WHERE finished_at < ?1";

const std::string kPurgeTasks =
    "DELETE FROM tasks WHERE status IN ('SUCCESS', 'FAILED', 'CANCELLED') AND updated_at < ?1 "
    "AND NOT EXISTS (SELECT 1 FROM results WHERE results.task_id = tasks.id)";

const std::string kTaskById = "SELECT " + kTaskColumns + " FROM tasks WHERE id = ?1";

const std::string kResultById = "SELECT " + kResultColumns + " FROM results WHERE task_id = ?1";

namespace {
std::string list_sql(bool by_status, bool by_func) {
  std::string where;
  if (by_status) where = " WHERE status = ?1";
  if (by_func) where += (by_status ? " AND" : " WHERE") + std::string(" func_path = ?2");
  // ?1 and ?2 are always bindable: a statement's parameters run up to its largest index.
  return "SELECT " + kTaskColumns + " FROM tasks" + where + " ORDER BY rowid LIMIT ?3 OFFSET ?4";
}
}  // namespace

const std::array<std::array<std::string, 2>, 2> kList = {{
    {list_sql(false, false), list_sql(false, true)},
    {list_sql(true, false), list_sql(true, true)},
}};

const std::string kCountByStatus = "SELECT status, count(*) FROM tasks GROUP BY status";

const std::string kOldestWaiting =
    "SELECT min(created_at) FROM " + kDueIndex + " WHERE " + kWaiting;

const std::string kDueProbe = "SELECT eta IS NULL OR eta <= ?1 FROM " + kDueIndex + " WHERE " +
                              kWaiting + " ORDER BY eta, rowid LIMIT 1";

const std::string kFirstEta =
    "SELECT eta FROM " + kDueIndex + " WHERE " + kWaiting + " ORDER BY eta, rowid LIMIT 1";

const std::string kFirstSetEta = "SELECT eta FROM " + kDueIndex + " WHERE " + kWaiting +
                                 " AND eta IS NOT NULL ORDER BY eta, rowid LIMIT 1";

const std::string kNullEtaCreated =
    "SELECT created_at FROM " + kDueIndex + " WHERE " + kWaiting + " AND eta IS NULL";

const std::string kExpiredProbe =
    "SELECT 1 FROM tasks INDEXED BY omniq_tasks_lease WHERE status = 'RUNNING' AND "
    "lease_expires_at < ?1 LIMIT 1";

}  // namespace omniq::sql
