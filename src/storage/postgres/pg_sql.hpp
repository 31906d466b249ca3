// The SQL of the PostgreSQL backend: every statement PostgresStorage runs,
// each taking its values as $n parameters. Table names are unqualified: each
// session's search_path is the store's schema (see open_session). Batches
// travel as one jsonb parameter (an array of objects) expanded with
// jsonb_to_recordset, so a batch of any size is one statement. Internal to
// the PostgreSQL backend; the tests EXPLAIN kClaim.
#pragma once

namespace omniq::sql {

// True for a row whose task holds its unique key: unique_key set and the bit
// of its status (PENDING 0 ... CANCELLED 5) set in unique_statuses. The
// predicate of the unique index, and of ON CONFLICT so that it finds it.
extern const char* const kHoldsKey;

// The task columns every task-returning statement selects, in the order of
// pg_codec's TaskColumn.
extern const char* const kTaskColumns;

// $1: jsonb array of task rows (pg_codec task_row). Inserts them in array
// order, skipping a task whose unique key a live task holds. Returns the ids
// inserted.
extern const char* const kInsertTasks;
// $1: jsonb array of unique keys. Returns (unique_key, id) of their holders.
extern const char* const kKeyHolders;
// $1: jsonb array of ids. Returns those that exist.
extern const char* const kExistingIds;
// $1: channel, $2: jsonb array of queue names. One notification per name.
extern const char* const kNotify;
// $1: jsonb array of outcome rows (pg_codec outcome_row), at most one per
// task. Applies those whose claim is current; returns (ord, applied) for
// each current one (applied false: a cancel was requested).
extern const char* const kApplyOutcomes;
// $1: queue, $2: now, $3: how many, $4: lease expiry. Claims due tasks of an
// unpaused queue; returns them (in no order) with kTaskColumns.
extern const char* const kClaim;
// $1: id, $2: now, $3: TaskError jsonb. Fails a row that cannot be read.
extern const char* const kFailTask;
// $1: TaskResult jsonb (to_value). Stores the result, replacing any.
extern const char* const kUpsertResult;

extern const char* const kTaskById;       // $1: id
extern const char* const kLockTaskById;   // $1: id; FOR UPDATE
extern const char* const kRequestCancel;  // $1: id
extern const char* const kCancelWaiting;  // $1: id, $2: now
extern const char* const kRenewLeases;    // $1: jsonb [{id, attempt}], $2: until
extern const char* const kExpired;        // $1: now, $2: limit
extern const char* const kResultById;     // $1: task id
// $1: status, $2: func_path, $3: queue (each NULL for any), $4: limit, $5: offset.
extern const char* const kListOldestFirst;
extern const char* const kListNewestFirst;    // the same, newest first
extern const char* const kCountByQueue;       // (queue, status, count)
extern const char* const kPausedQueues;       // names, sorted
extern const char* const kOldestWaiting;      // min(created_at) of waiting tasks
extern const char* const kNextEta;            // min(eta) of waiting tasks
extern const char* const kPurgeResults;       // $1: older than
extern const char* const kPurgeTasks;         // $1: older than
extern const char* const kSetPaused;          // $1: queue, $2: paused
extern const char* const kFinishedPerMinute;  // $1: since, $2: until -> (minute, count)
// $1 id, $2 host, $3 pid, $4 queues, $5 started, $6 seen, $7 forget those seen before.
extern const char* const kRecordWorker;
extern const char* const kWorkersSince;  // $1: since
extern const char* const kSetting;       // $1: setting name

}  // namespace omniq::sql
