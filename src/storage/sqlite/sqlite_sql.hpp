// The SQL of the SQLite store: schema, indexes and every statement it
// prepares, in one place so the query-plan tests can EXPLAIN the very text the
// store runs. Internal to the library.
//
// Waiting tasks (PENDING, RETRYING) are found through the partial index
// omniq_tasks_due on eta; its rowid order is enqueue order, so
// "ORDER BY eta, rowid" is read straight off the index. Running tasks are found
// by lease expiry through omniq_tasks_lease. Hot queries name their index
// (INDEXED BY): the planner has no statistics and would otherwise prefer the
// status index, and a missing index then fails loudly instead of scanning.
#pragma once

#include <array>
#include <string>

namespace omniq::sql {

// PRAGMA user_version of omniq's schema. 0 = no omniq schema yet (new file, or
// one the original library wrote).
inline constexpr int kSchemaVersion = 1;

// Tables as the original library defines them, plus omniq's columns (marked),
// each with a default so the original's INSERTs keep working.
extern const char* const kCreateTasks;
extern const char* const kCreateResults;
extern const char* const kCreateIndexes;

// The task columns every task read selects, in TaskColumn order.
extern const std::string kTaskColumns;
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
  kRowid,
};
// The result columns, in ResultColumn order.
extern const std::string kResultColumns;
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

// Writes (run inside a write transaction).
extern const std::string kInsertTask;   // ?1..?16 in TaskColumn order
extern const std::string kClaim;        // ?1 now, ?2 lease expiry, ?3 limit
extern const std::string kNullEtas;     // waiting rows the original left without eta
extern const std::string kSetEta;       // ?1 rowid, ?2 eta
extern const std::string kFailCorrupt;  // ?1 rowid, ?2 now, ?3 error JSON
extern const std::string kClaimById;    // ?1 id, ?2 now, ?3 lease expiry
extern const std::string kFinish;  // ?1 id, ?2 attempt, ?3 status, ?4 at, ?5 next eta, ?6 error
extern const std::string kUpsertResult;   // ?1..?8 in ResultColumn order
extern const std::string kReschedule;     // ?1 id, ?2 eta
extern const std::string kRequestCancel;  // ?1 id
extern const std::string kCancel;         // ?1 id, ?2 now
extern const std::string kRenew;          // ?1 id, ?2 attempt, ?3 lease expiry
extern const std::string kRelease;        // ?1 id, ?2 attempt, ?3 now
extern const std::string kExpired;        // ?1 now
extern const std::string kRecover;  // ?1 rowid, ?2 status, ?3 now, ?4 error, ?5 eta, ?6 schedule
extern const std::string kPurgeResults;  // ?1 cutoff
extern const std::string kPurgeTasks;    // ?1 cutoff

// Reads.
extern const std::string kTaskById;    // ?1 id
extern const std::string kResultById;  // ?1 task id
// list_tasks, by which filters are set: [status set][func_path set]; ?1 status,
// ?2 func_path, ?3 limit, ?4 offset.
extern const std::array<std::array<std::string, 2>, 2> kList;
extern const std::string kCountByStatus;
extern const std::string kOldestWaiting;
extern const std::string kDueProbe;     // ?1 now: 1 when the first waiting task is due
extern const std::string kFirstEta;     // eta of the first waiting task (NULL first)
extern const std::string kFirstSetEta;  // the smallest non-NULL eta of a waiting task
extern const std::string kNullEtaCreated;
extern const std::string kExpiredProbe;  // ?1 now: a row when some lease ran out

}  // namespace omniq::sql
