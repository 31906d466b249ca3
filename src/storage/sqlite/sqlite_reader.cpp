#include "sqlite_reader.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>

#include "omniq/logging.hpp"
#include "serializer.hpp"
#include "sqlite_sql.hpp"
#include "storage/storage_rules.hpp"

namespace omniq {
namespace {

constexpr std::int64_t kBeforeAnyPriority = std::numeric_limits<std::int64_t>::min();

std::int64_t clamp_count(std::size_t n) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(std::min(n, kMax));
}

std::int64_t unix_millis(Timestamp t) {
  return std::chrono::floor<std::chrono::milliseconds>(t).time_since_epoch().count();
}

WorkerInfo read_worker(const SqliteStatement& s) {
  WorkerInfo w{
      s.text(0), s.text(1), s.integer(2), {}, parse_time(s.text(4)), parse_time(s.text(5))};
  Value queues = JsonSerializer().decode(s.text_view(3));
  for (const auto& [queue, n] : queues.items()) w.queues[queue] = n.get<std::size_t>();
  return w;
}

}  // namespace

std::optional<GroupHead> next_group(SqliteStatement& next_group, const std::string& queue,
                                    std::int64_t after) {
  Query q(next_group, queue, after);
  if (!q->step()) return std::nullopt;
  return GroupHead{q->integer(0), q->text(1)};
}

std::optional<Task> SqliteReader::get_task(const std::string& id) {
  Query q(db_.prepared(sql::kTaskById), id);
  if (!q->step()) return std::nullopt;
  return read_named(db_, *q, id, read_task);
}

std::optional<TaskResult> SqliteReader::get_result(const std::string& id) {
  Query q(db_.prepared(sql::kResultById), id);
  if (!q->step()) return std::nullopt;
  try {
    return read_result(*q);
  } catch (const SerializationError& e) {
    throw SerializationError("the result of task " + id + " in SQLite database \"" + db_.path() +
                             "\" cannot be read: " + e.what());
  }
}

std::vector<Task> SqliteReader::list_tasks(const TaskFilter& filter) {
  SqliteStatement q(db_, sql::list_tasks(filter));
  std::optional<std::string_view> status;
  if (filter.status) status = to_string(*filter.status);
  q.bind_all(status, filter.func_path, filter.queue, clamp_count(filter.limit),
             clamp_count(filter.offset));
  std::vector<Task> out;
  while (q.step()) {
    try {
      out.push_back(read_task(q));
    } catch (const SerializationError& e) {
      logger()->warn("list_tasks skipped task {} (row {}) in SQLite database \"{}\": {}",
                     q.text(sql::kId).substr(0, 64), q.integer(sql::kRowid), db_.path(), e.what());
    }
  }
  return out;
}

QueueStats SqliteReader::stats() {
  QueueStats s;
  SqliteTransaction txn(db_, "BEGIN");  // one snapshot for all three
  for (Query q(db_.prepared(sql::kCountByQueueAndStatus)); q->step();) {
    auto status = parse_status(q->text_view(1));
    if (!status) continue;  // never claimed; get_task names it
    auto i = static_cast<std::size_t>(*status);
    auto n = static_cast<std::size_t>(q->integer(2));
    s.counts[i] += n;
    s.queues[q->text(0)][i] += n;
  }
  if (Query q(db_.prepared(sql::kOldestWaiting)); q->step() && !q->is_null(0)) {
    s.oldest_pending = stored_time(q->text(0), "created_at");
  }
  for (Query q(db_.prepared(sql::kPaused)); q->step();) s.paused.push_back(q->text(0));
  txn.commit();
  return s;
}

std::optional<Timestamp> SqliteReader::next_eta() {
  std::optional<Timestamp> best;
  auto consider = [&](std::optional<Timestamp> t) {
    if (t && (!best || *t < *best)) best = t;
  };
  SqliteTransaction txn(db_, "BEGIN");
  // The first task of each (queue, priority) group...
  std::string queue;
  for (std::int64_t priority = kBeforeAnyPriority;;) {
    Query q(db_.prepared(sql::kNextAnyGroup), queue, priority);
    if (!q->step()) break;
    queue = q->text(0);
    priority = q->integer(1);
    consider(stored_time(q->text(2), "eta"));
  }
  // ...and the rows whose eta is not in omniq's form (none is due at created_at).
  for (Query q(db_.prepared(sql::kOddEtas)); q->step();) {
    consider(stored_time(q->text(q->is_null(sql::kEta) ? sql::kCreatedAt : sql::kEta), "eta"));
  }
  txn.commit();
  return best;
}

bool SqliteReader::anything_due(const std::string& queue, Timestamp now) {
  if (Query q(db_.prepared(sql::kAnyOddEta)); q->step()) return true;
  std::string now_text = format_time(now);
  SqliteStatement& groups = db_.prepared(sql::kNextGroup);
  for (auto head = next_group(groups, queue, kBeforeAnyPriority); head;
       head = next_group(groups, queue, head->priority)) {
    if (head->eta <= now_text) return true;
  }
  return false;
}

SqliteReader::Expired SqliteReader::expired(Timestamp now, std::size_t limit) {
  Expired out;
  auto take = [&](SqliteStatement& q) {
    while (q.step()) {
      try {
        if (*read_claim(q).lease_expires_at < now) out.tasks.push_back(read_task(q));
      } catch (const SerializationError& e) {
        out.corrupt.push_back(corrupt_row(q, e.what()));
      }
    }
  };
  SqliteTransaction txn(db_, "BEGIN");
  take(*Query(db_.prepared(sql::kExpired), format_time(now), clamp_count(limit)));
  take(*Query(db_.prepared(sql::kLeaseless)));
  txn.commit();
  std::stable_sort(out.tasks.begin(), out.tasks.end(), [](const Task& a, const Task& b) {
    return *a.lease_expires_at < *b.lease_expires_at;
  });
  if (out.tasks.size() > limit) out.tasks.resize(limit);
  return out;
}

std::vector<std::size_t> SqliteReader::finished_per_minute(Timestamp since, Timestamp until) {
  std::vector<std::size_t> counts(minutes_between(since, until));
  Query q(db_.prepared(sql::kFinishedPerMinute), unix_millis(since), unix_millis(until));
  while (q->step()) {
    auto minute = static_cast<std::size_t>(q->integer(0));
    if (minute < counts.size()) counts[minute] += static_cast<std::size_t>(q->integer(1));
  }
  return counts;
}

std::vector<WorkerInfo> SqliteReader::workers(Timestamp since) {
  std::vector<WorkerInfo> out;
  Query q(db_.prepared(sql::kWorkers), format_time(since));
  while (q->step()) {
    try {
      out.push_back(read_worker(*q));
    } catch (const std::exception& e) {
      logger()->warn("SQLite database \"{}\" holds a worker record omniq cannot read: {}",
                     db_.path(), e.what());
    }
  }
  return out;
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
