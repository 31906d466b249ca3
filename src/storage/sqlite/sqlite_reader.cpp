#include "sqlite_reader.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>

#include "omniq/logging.hpp"
#include "sqlite_codec.hpp"
#include "sqlite_sql.hpp"

namespace omniq {
namespace {

std::int64_t clamp_count(std::size_t n) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(std::min(n, kMax));
}

// One read transaction (a consistent snapshot for several statements);
// rolled back unless committed.
class ReadTransaction {
 public:
  ReadTransaction(SqliteStatement& begin, SqliteStatement& commit, SqliteStatement& rollback)
      : commit_(commit), rollback_(rollback) {
    StatementUse q(begin);
    q->run();
  }
  ~ReadTransaction() {
    if (done_) return;
    try {
      StatementUse q(rollback_);
      q->run();
    } catch (const StorageError&) {  // destructors never throw
    }
  }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;
  void commit() {
    StatementUse q(commit_);
    q->run();
    done_ = true;
  }

 private:
  SqliteStatement& commit_;
  SqliteStatement& rollback_;
  bool done_ = false;
};

}  // namespace

SqliteReader::SqliteReader(SqliteDb& db)
    : db_(db),
      task_by_id_(db, sql::kTaskById),
      result_by_id_(db, sql::kResultById),
      list_{{{SqliteStatement(db, sql::kList[0][0]), SqliteStatement(db, sql::kList[0][1])},
             {SqliteStatement(db, sql::kList[1][0]), SqliteStatement(db, sql::kList[1][1])}}},
      count_by_status_(db, sql::kCountByStatus),
      oldest_waiting_(db, sql::kOldestWaiting),
      due_probe_(db, sql::kDueProbe),
      first_eta_(db, sql::kFirstEta),
      first_set_eta_(db, sql::kFirstSetEta),
      null_eta_created_(db, sql::kNullEtaCreated),
      expired_probe_(db, sql::kExpiredProbe),
      begin_(db, "BEGIN"),
      commit_(db, "COMMIT"),
      rollback_(db, "ROLLBACK") {}

std::optional<Task> SqliteReader::get_task(const std::string& id) {
  StatementUse q(task_by_id_);
  q->bind(1, id);
  if (!q->step()) return std::nullopt;
  try {
    return read_task(*q);
  } catch (const SerializationError& e) {
    throw SerializationError("task " + id + " in SQLite database \"" + db_.path() +
                             "\" cannot be read: " + e.what());
  }
}

std::optional<TaskResult> SqliteReader::get_result(const std::string& id) {
  StatementUse q(result_by_id_);
  q->bind(1, id);
  if (!q->step()) return std::nullopt;
  try {
    return read_result(*q);
  } catch (const SerializationError& e) {
    throw SerializationError("the result of task " + id + " in SQLite database \"" + db_.path() +
                             "\" cannot be read: " + e.what());
  }
}

std::vector<Task> SqliteReader::list_tasks(const TaskFilter& filter) {
  StatementUse q(list_[filter.status ? 1 : 0][filter.func_path ? 1 : 0]);
  if (filter.status) q->bind(1, to_string(*filter.status));
  if (filter.func_path) q->bind(2, *filter.func_path);
  q->bind(3, clamp_count(filter.limit));
  q->bind(4, clamp_count(filter.offset));
  std::vector<Task> out;
  while (q->step()) {
    try {
      out.push_back(read_task(*q));
    } catch (const SerializationError& e) {
      logger()->warn("list_tasks skipped task {} (row {}) in SQLite database \"{}\": {}",
                     q->text(sql::kId).substr(0, 64), q->integer(sql::kRowid), db_.path(),
                     e.what());
    }
  }
  return out;
}

QueueStats SqliteReader::stats() {
  QueueStats s;
  ReadTransaction txn(begin_, commit_, rollback_);
  {
    StatementUse q(count_by_status_);
    while (q->step()) {
      auto status = parse_status(q->text(0));
      if (status) s.counts[static_cast<std::size_t>(*status)] += q->integer(1);
    }
  }
  {
    StatementUse q(oldest_waiting_);
    if (q->step() && !q->is_null(0)) s.oldest_pending = stored_time(q->text(0), "created_at");
  }
  txn.commit();
  return s;
}

std::optional<Timestamp> SqliteReader::next_eta() {
  ReadTransaction txn(begin_, commit_, rollback_);
  std::optional<std::string> first;
  {
    StatementUse q(first_eta_);
    if (!q->step()) return std::nullopt;
    first = q->opt_text(0);
  }
  if (first) return stored_time(*first, "eta");  // NULLs sort first: there are none
  // Some waiting rows have no eta (the original wrote them): due at created_at.
  std::optional<Timestamp> best;
  auto consider = [&](std::optional<Timestamp> t) {
    if (t && (!best || *t < *best)) best = t;
  };
  {
    StatementUse q(null_eta_created_);
    while (q->step()) consider(stored_time(q->text(0), "created_at"));
  }
  {
    StatementUse q(first_set_eta_);
    if (q->step()) consider(stored_time(q->text(0), "eta"));
  }
  txn.commit();
  return best;
}

bool SqliteReader::anything_due(Timestamp now) {
  StatementUse q(due_probe_);
  q->bind(1, format_time(now));
  return q->step() && q->integer(0) != 0;
}

bool SqliteReader::anything_expired(Timestamp now) {
  StatementUse q(expired_probe_);
  q->bind(1, format_time(now));
  return q->step();
}

std::optional<Timestamp> SqliteReader::stored_time(const std::string& text,
                                                   const char* what) const {
  try {
    return parse_time(text);
  } catch (const SerializationError& e) {
    logger()->warn("SQLite database \"{}\" holds a waiting task whose {} omniq cannot read: {}",
                   db_.path(), what, e.what());
    return std::nullopt;
  }
}

}  // namespace omniq
