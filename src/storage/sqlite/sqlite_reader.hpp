// SqliteReader: the SQLite store's reads, on a connection of their own so that
// they never wait behind a write transaction (WAL readers see the last commit).
// Internal to the library.
//
// Called by one thread at a time (the store holds the connection's mutex). A
// row omniq cannot read is a SerializationError naming the id for get_task,
// and is skipped with a log line by list_tasks.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "omniq/storage.hpp"
#include "sqlite_db.hpp"
#include "sqlite_statement.hpp"

namespace omniq {

class SqliteReader {
 public:
  explicit SqliteReader(SqliteDb& db);

  std::optional<Task> get_task(const std::string& id);
  std::optional<TaskResult> get_result(const std::string& id);
  std::vector<Task> list_tasks(const TaskFilter& filter);
  QueueStats stats();
  // The earliest due time among waiting tasks (a task the original stored
  // without eta is due from its created_at).
  std::optional<Timestamp> next_eta();
  // True when some waiting task is due at `now`: one probe of the due index,
  // so an idle worker's poll takes no write lock.
  bool anything_due(Timestamp now);
  // True when some RUNNING task's lease ran out before `now`.
  bool anything_expired(Timestamp now);

 private:
  // Parses a stored instant; logs and returns nullopt for one omniq cannot read.
  std::optional<Timestamp> stored_time(const std::string& text, const char* what) const;

  SqliteDb& db_;
  SqliteStatement task_by_id_, result_by_id_;
  std::array<std::array<SqliteStatement, 2>, 2> list_;
  SqliteStatement count_by_status_, oldest_waiting_, due_probe_, first_eta_, first_set_eta_,
      null_eta_created_, expired_probe_, begin_, commit_, rollback_;
};

}  // namespace omniq
