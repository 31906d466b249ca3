#include "pg_sql.hpp"

// The statements are string literals joined by the preprocessor, so that they
// are constants before any code runs (no order of static initialization to
// get wrong). The macros below are the pieces several statements share.

#define OMNIQ_WAITING "status IN ('PENDING', 'RETRYING')"

#define OMNIQ_HOLDS_KEY                                                                       \
  "unique_key IS NOT NULL AND (unique_statuses & CASE status WHEN 'PENDING' THEN 1 "          \
  "WHEN 'RUNNING' THEN 2 WHEN 'SUCCESS' THEN 4 WHEN 'FAILED' THEN 8 WHEN 'RETRYING' THEN 16 " \
  "WHEN 'CANCELLED' THEN 32 ELSE 0 END) <> 0"

#define OMNIQ_TASK_COLUMNS(p)                                                                      \
  p "id, " p "func_path, " p "args, " p "kwargs, " p "status, " p "schedule, " p "max_retries, " p \
    "timeout_us, " p "attempts, " p "created_at, " p "updated_at, " p "last_attempt_at, " p        \
    "error, " p "queue, " p "priority, " p "unique_key, " p "unique_statuses, " p "retry_of, " p   \
    "lease_expires_at, " p "cancel_requested, " p "seq"

// Stores the TaskResult jsonb J (to_value's form) under task ID.
#define OMNIQ_INSERT_RESULT(ID, J, FROM)                                                       \
  "INSERT INTO results (task_id, status, result, error, finished_at, attempts, "               \
  "last_attempt_at) SELECT " ID ", " J "->>'status', " J "->'result', " J "->'error', (" J     \
  "->>'finished_at')::timestamptz, (" J "->>'attempts')::int, (" J                             \
  "->>'last_attempt_at')::timestamptz " FROM                                                   \
  " ON CONFLICT (task_id) DO UPDATE SET status = EXCLUDED.status, result = EXCLUDED.result, "  \
  "error = EXCLUDED.error, finished_at = EXCLUDED.finished_at, attempts = EXCLUDED.attempts, " \
  "last_attempt_at = EXCLUDED.last_attempt_at"

#define OMNIQ_LIST(ORDER) \
  "SELECT " OMNIQ_TASK_COLUMNS("") " FROM tasks WHERE ($1::text IS NULL OR status = $1) AND " \
  "($2::text IS NULL OR func_path = $2) AND ($3::text IS NULL OR queue = $3) ORDER BY seq "    \
  ORDER " LIMIT $4 OFFSET $5"

#define OMNIQ_TASK_BY_ID "SELECT " OMNIQ_TASK_COLUMNS("") " FROM tasks WHERE id = $1"

namespace omniq::sql {

const char* const kHoldsKey = OMNIQ_HOLDS_KEY;

const char* const kTaskColumns = OMNIQ_TASK_COLUMNS("");

const char* const kInsertTasks =
    "INSERT INTO tasks (id, func_path, args, kwargs, status, schedule, eta, max_retries, "
    "timeout_us, attempts, created_at, updated_at, last_attempt_at, error, queue, priority, "
    "unique_key, unique_statuses, retry_of, lease_expires_at, cancel_requested) "
    "SELECT id, func_path, args, kwargs, status, schedule, eta, max_retries, timeout_us, "
    "attempts, created_at, updated_at, last_attempt_at, error, queue, priority, unique_key, "
    "unique_statuses, retry_of, lease_expires_at, cancel_requested "
    "FROM jsonb_to_recordset($1::jsonb) AS x(ord int, id text, func_path text, args jsonb, "
    "kwargs jsonb, status text, schedule jsonb, eta timestamptz, max_retries int, "
    "timeout_us bigint, attempts int, created_at timestamptz, updated_at timestamptz, "
    "last_attempt_at timestamptz, error jsonb, queue text, priority int, unique_key text, "
    "unique_statuses smallint, retry_of text, lease_expires_at timestamptz, "
    "cancel_requested boolean) ORDER BY ord "
    "ON CONFLICT (unique_key) WHERE " OMNIQ_HOLDS_KEY " DO NOTHING RETURNING id";

const char* const kKeyHolders =
    "SELECT unique_key, id FROM tasks WHERE unique_key IN (SELECT "
    "jsonb_array_elements_text($1::jsonb)) AND " OMNIQ_HOLDS_KEY;

const char* const kExistingIds =
    "SELECT id FROM tasks WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))";

const char* const kNotify = "SELECT pg_notify($1, jsonb_array_elements_text($2::jsonb))";

// cur: the outcomes whose claim is current, their tasks locked. upd: those
// not blocked by a cancel request, applied. The result of an applied outcome
// replaces the stored one.
const char* const kApplyOutcomes =
    "WITH o AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS o(ord int, id text, attempt int, "
    "status text, next_eta text, error jsonb, res jsonb, at timestamptz, lease_expired boolean)), "
    "cur AS (SELECT o.*, t.cancel_requested AND o.status <> 'CANCELLED' AS blocked "
    "FROM o JOIN tasks t ON t.id = o.id WHERE t.status = 'RUNNING' AND t.attempts = o.attempt "
    "AND (NOT o.lease_expired OR t.lease_expires_at < o.at) ORDER BY t.id FOR UPDATE OF t), "
    "upd AS (UPDATE tasks t SET status = c.status, updated_at = c.at, lease_expires_at = NULL, "
    "error = c.error, eta = coalesce(c.next_eta::timestamptz, t.eta), "
    "schedule = CASE WHEN c.next_eta IS NULL THEN t.schedule "
    "ELSE jsonb_set(t.schedule, '{eta}', to_jsonb(c.next_eta)) END "
    "FROM cur c WHERE t.id = c.id AND NOT c.blocked RETURNING t.id), "
    "res AS (" OMNIQ_INSERT_RESULT("c.id", "c.res",
                                   "FROM cur c JOIN upd u ON u.id = c.id WHERE c.res IS NOT NULL")
    ") SELECT c.ord, u.id IS NOT NULL FROM cur c LEFT JOIN upd u ON u.id = c.id";

const char* const kClaim =
    "WITH picked AS (SELECT id FROM tasks WHERE queue = $1 AND " OMNIQ_WAITING
    " AND eta <= $2::timestamptz AND NOT EXISTS (SELECT 1 FROM queues WHERE name = $1 AND "
    "paused) ORDER BY priority, eta, seq LIMIT $3 FOR UPDATE SKIP LOCKED) "
    "UPDATE tasks t SET status = 'RUNNING', attempts = t.attempts + 1, last_attempt_at = $2, "
    "updated_at = $2, lease_expires_at = $4::timestamptz FROM picked WHERE t.id = picked.id "
    "RETURNING " OMNIQ_TASK_COLUMNS("t.");

const char* const kFailTask =
    "UPDATE tasks SET status = 'FAILED', updated_at = $2, error = $3::jsonb, "
    "lease_expires_at = NULL WHERE id = $1";

const char* const kUpsertResult =
    OMNIQ_INSERT_RESULT("j->>'task_id'", "j", "FROM (SELECT $1::jsonb AS j) AS r");

const char* const kTaskById = OMNIQ_TASK_BY_ID;

const char* const kLockTaskById = OMNIQ_TASK_BY_ID " FOR UPDATE";

const char* const kRequestCancel = "UPDATE tasks SET cancel_requested = true WHERE id = $1";

const char* const kCancelWaiting =
    "UPDATE tasks SET status = 'CANCELLED', updated_at = $2 WHERE id = $1";

const char* const kRenewLeases =
    "UPDATE tasks t SET lease_expires_at = $2::timestamptz FROM jsonb_to_recordset($1::jsonb) "
    "AS c(id text, attempt int) WHERE t.id = c.id AND t.status = 'RUNNING' AND "
    "t.attempts = c.attempt RETURNING t.id, t.attempts, t.cancel_requested";

const char* const kExpired = "SELECT " OMNIQ_TASK_COLUMNS("") " FROM tasks WHERE status = 'RUNNING' AND lease_expires_at < $1 "
                             "ORDER BY lease_expires_at, id LIMIT $2";

const char* const kResultById =
    "SELECT task_id, status, result, error, finished_at, attempts, last_attempt_at FROM results "
    "WHERE task_id = $1";

const char* const kListOldestFirst = OMNIQ_LIST("ASC");
const char* const kListNewestFirst = OMNIQ_LIST("DESC");

const char* const kCountByQueue = "SELECT queue, status, count(*) FROM tasks GROUP BY 1, 2";

const char* const kPausedQueues = "SELECT name FROM queues WHERE paused ORDER BY name";

const char* const kOldestWaiting = "SELECT min(created_at) FROM tasks WHERE " OMNIQ_WAITING;

const char* const kNextEta = "SELECT min(eta) FROM tasks WHERE " OMNIQ_WAITING;

const char* const kPurgeResults = "DELETE FROM results WHERE finished_at < $1";

const char* const kPurgeTasks =
    "DELETE FROM tasks WHERE status IN ('SUCCESS', 'FAILED', 'CANCELLED') AND updated_at < $1 "
    "AND NOT EXISTS (SELECT 1 FROM results r WHERE r.task_id = tasks.id)";

const char* const kSetPaused =
    "INSERT INTO queues (name, paused) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET "
    "paused = EXCLUDED.paused";

const char* const kFinishedPerMinute =
    "SELECT floor(extract(epoch FROM finished_at - $1::timestamptz) / 60)::bigint, count(*) "
    "FROM results WHERE finished_at >= $1 AND finished_at < $2 GROUP BY 1";

// Forgets long-gone workers (not this one: its row is being written).
const char* const kRecordWorker =
    "WITH gone AS (DELETE FROM workers WHERE seen_at < $7::timestamptz AND id <> $1) "
    "INSERT INTO workers (id, host, pid, queues, started_at, seen_at) VALUES ($1, $2, $3, "
    "$4::jsonb, $5, $6) ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, "
    "queues = EXCLUDED.queues, started_at = EXCLUDED.started_at, seen_at = EXCLUDED.seen_at";

const char* const kWorkersSince =
    "SELECT id, host, pid, queues, started_at, seen_at FROM workers WHERE seen_at >= $1 "
    "ORDER BY id";

const char* const kSetting = "SELECT current_setting($1)";

}  // namespace omniq::sql
