// The mapping between the task models and the columns of the SQLite store's
// `tasks` and `results` tables, in the original library's forms: statuses as
// upper-case text, instants as ISO-8601 text (always format_time's full UTC
// form when omniq writes; any offset, or none for UTC, when it reads),
// args/kwargs/schedule/error as JSON text, timeout as seconds (an integer when
// whole), results.error as the plain message with the six-field TaskError
// beside it in error_detail. Internal to the library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "omniq/task.hpp"
#include "sqlite_statement.hpp"

namespace omniq {

// How long a claim the original library made (RUNNING without a lease) is
// taken to be held: from its last_attempt_at (or updated_at) on. After that,
// expired() lists it and it is recovered like any other lost claim.
inline constexpr Duration kOriginalClaimLease = std::chrono::seconds(30);

std::string encode_error(const TaskError& e);

// Bind ?1..?21 of sql::kInsertTask, ?1..?8 of sql::kUpsertResult. Throw
// SerializationError when a value cannot be written as JSON.
void bind_task(SqliteStatement& s, const Task& t);
void bind_result(SqliteStatement& s, const TaskResult& r);

// Reads the current row, selected as sql::kTaskColumns / sql::kResultColumns.
// Throws SerializationError saying which column omniq cannot read (never
// quoting argument or result values). A RUNNING row without a lease reads as
// leased for kOriginalClaimLease from its last attempt.
Task read_task(const SqliteStatement& s);
// read(row), whose SerializationError then names `what` (e.g. "task <id>")
// and the database.
template <class Read>
auto read_named(const SqliteDb& db, const SqliteStatement& row, const std::string& what,
                Read read) {
  try {
    return read(row);
  } catch (const SerializationError& e) {
    throw SerializationError(what + " in SQLite database \"" + db.path() +
                             "\" cannot be read: " + e.what());
  }
}
// Reads only what storage_rules' outcome_applies looks at: id, status,
// attempts, updated_at, last_attempt_at, the lease and the cancel request.
Task read_claim(const SqliteStatement& s);
TaskResult read_result(const SqliteStatement& s);

// A row omniq cannot read, named as far as it can be.
struct CorruptRow {
  std::int64_t rowid = 0;
  std::optional<std::string> id;
  int attempts = 0;
  std::string reason;
};
// REQUIRES: the current row of `s` was selected as sql::kTaskColumns.
CorruptRow corrupt_row(const SqliteStatement& s, std::string reason);

}  // namespace omniq
