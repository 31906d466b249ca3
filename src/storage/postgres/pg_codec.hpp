// The mapping between omniq's models and the PostgreSQL backend's rows. Rows
// going in are jsonb objects (one per task or outcome, sent as one array);
// rows coming out are read column by column into the model's Value form
// and decoded by task_from_value & co., so every check those make applies
// here too. Internal to the PostgreSQL backend.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "omniq/storage.hpp"
#include "pg_result.hpp"

namespace omniq {

// The columns of sql::kTaskColumns, in order.
enum TaskColumn : int {
  kColId,
  kColFuncPath,
  kColArgs,
  kColKwargs,
  kColStatus,
  kColSchedule,
  kColMaxRetries,
  kColTimeoutUs,
  kColAttempts,
  kColCreatedAt,
  kColUpdatedAt,
  kColLastAttemptAt,
  kColError,
  kColQueue,
  kColPriority,
  kColUniqueKey,
  kColUniqueStatuses,
  kColRetryOf,
  kColLeaseExpiresAt,
  kColCancelRequested,
  kColSeq,
};

// A task as a row for sql::kInsertTasks; `ord` is its place in the batch.
Value task_row(const Task& t, std::size_t ord);
// An outcome as a row for sql::kApplyOutcomes; `ord` is its place in the batch.
Value outcome_row(const Outcome& o, std::size_t ord);

// JSON text of a Value for a jsonb parameter. Throws SerializationError for
// strings that are not UTF-8.
std::string json_text(const Value& v);

// The task in row `row` (selected with sql::kTaskColumns). Throws
// SerializationError when a column does not decode.
Task read_task(const PgResult& r, int row);
// The result in row `row` (sql::kResultById's columns). Throws SerializationError.
TaskResult read_result(const PgResult& r, int row);
// The worker in row `row` (sql::kWorkersSince's columns). Throws SerializationError.
WorkerInfo read_worker(const PgResult& r, int row);
// The timestamptz in column `col` (text in the session's ISO form, UTC).
// Throws SerializationError.
Timestamp read_time(const PgResult& r, int row, int col);

}  // namespace omniq
