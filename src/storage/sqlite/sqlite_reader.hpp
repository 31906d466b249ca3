// SqliteReader: the SQLite store's reads, on a connection of their own so that
// they never wait behind a write transaction (WAL readers see the last commit).
// Internal to the library.
//
// Called by one thread at a time (the store holds the connection's mutex). A
// row omniq cannot read is a SerializationError naming the id for get_task,
// and is skipped with a log line by list_tasks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "omniq/storage.hpp"
#include "sqlite_codec.hpp"
#include "sqlite_db.hpp"
#include "sqlite_statement.hpp"

namespace omniq {

// The first waiting task of one priority group of a queue.
struct GroupHead {
  std::int64_t priority = 0;
  std::string eta;
};
// The head of `queue`'s next priority group after `after` (none when the queue
// is paused or has no more), run on `next_group`, prepared from sql::kNextGroup.
std::optional<GroupHead> next_group(SqliteStatement& next_group, const std::string& queue,
                                    std::int64_t after);

class SqliteReader {
 public:
  explicit SqliteReader(SqliteDb& db) : db_(db) {}

  std::optional<Task> get_task(const std::string& id);
  std::optional<TaskResult> get_result(const std::string& id);
  std::vector<Task> list_tasks(const TaskFilter& filter);
  QueueStats stats();
  std::optional<Timestamp> next_eta();
  // True when a claim from `queue` at `now` could find a task: one indexed
  // probe per priority group, so an idle worker's poll takes no write lock.
  // Rows with an eta the claim must rewrite first count as due.
  bool anything_due(const std::string& queue, Timestamp now);

  // The RUNNING tasks whose lease ran out before `now`, oldest lease first,
  // and the rows among them omniq cannot read (for the writer to fail).
  struct Expired {
    std::vector<Task> tasks;
    std::vector<CorruptRow> corrupt;
  };
  Expired expired(Timestamp now, std::size_t limit);

  std::vector<std::size_t> finished_per_minute(Timestamp since, Timestamp until);
  std::vector<WorkerInfo> workers(Timestamp since);

 private:
  // Parses a stored instant; logs and returns nullopt for one omniq cannot read.
  std::optional<Timestamp> stored_time(const std::string& text, const char* what) const;

  SqliteDb& db_;
};

}  // namespace omniq
