// SQLiteStorage: opening and closing, and the reads (see sqlite_storage.hpp).
#include "sqlite_storage.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <thread>

#include "base/log_events.hpp"
#include "base/serializer.hpp"
#include "sqlite_codec.hpp"
#include "sqlite_schema.hpp"
#include "sqlite_sql.hpp"
#include "sqlite_statement.hpp"
#include "sqlite_watch.hpp"
#include "storage/storage_rules.hpp"

namespace omniq {
namespace {

// full, normal and off are SQLite's names too.
std::string synchronous_pragma(Durability d) {
  return "PRAGMA synchronous = " + std::string(to_string(d));
}

// Switches the database to WAL and returns the journal mode in force. A new
// file being switched by two processes at once makes SQLite return
// SQLITE_BUSY at once, without calling the busy handler: retry within the
// busy timeout.
std::string enable_wal(SqliteDb& db, Duration busy_timeout) {
  constexpr int kBusy = 5, kLocked = 6;  // SQLITE_BUSY, SQLITE_LOCKED
  auto until = std::chrono::steady_clock::now() + busy_timeout;
  for (int attempt = 1;; ++attempt) {
    try {
      return db.query_text("PRAGMA journal_mode = WAL");
    } catch (const SqliteError& e) {
      int primary = e.code() & 0xff;
      if ((primary != kBusy && primary != kLocked) || std::chrono::steady_clock::now() >= until) {
        throw;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(attempt, 10)));
  }
}

// A stored instant of a waiting task; logged and left out when unreadable.
std::optional<Timestamp> waiting_time(const SqliteDb& db, const std::string& text) {
  try {
    return parse_time(text);
  } catch (const SerializationError& e) {
    logger()->warn("SQLite database \"{}\" holds a waiting task whose time omniq cannot read: {}",
                   db.path(), e.what());
    return std::nullopt;
  }
}

WorkerInfo read_worker(const SqliteStatement& s) {
  WorkerInfo w{
      s.text(0), s.text(1), s.integer(2), {}, parse_time(s.text(4)), parse_time(s.text(5))};
  Value queues = JsonSerializer().decode(s.text_view(3));
  for (const auto& [queue, n] : queues.items()) w.queues[queue] = n.get<std::size_t>();
  return w;
}

}  // namespace

SQLiteStorage::SQLiteStorage(Options options) : options_(std::move(options)) {
  if (options_.busy_timeout.count() < 0) {
    throw ConfigError("SQLite busy_timeout is " + std::to_string(options_.busy_timeout.count()) +
                      "us; expected 0 or more");
  }
  write_ = std::make_unique<Connection>(options_.path, options_.busy_timeout);
  SqliteDb& db = write_->db;
  wal_ = enable_wal(db, options_.busy_timeout) == "wal";
  if (!db.in_memory() && !wal_) {
    logger()->warn("SQLite database \"{}\" cannot use WAL; readers will wait for writers",
                   options_.path);
  }
  db.exec(synchronous_pragma(options_.durability));
  ensure_sqlite_schema(db);
  if (db.in_memory()) return;
  read_ = std::make_unique<Connection>(options_.path, options_.busy_timeout);
  read_->db.exec("PRAGMA query_only = 1");
  if (wal_) {
    checkpointer_ = std::make_unique<SqliteCheckpointer>(
        db, synchronous_pragma(options_.durability), options_.busy_timeout);
  }
}

SQLiteStorage::~SQLiteStorage() {
  close();
}

std::shared_lock<std::shared_mutex> SQLiteStorage::enter() {
  std::shared_lock lock(life_);
  if (closed_) {
    throw StorageError("SQLite store \"" + options_.path +
                       "\" is closed; open a new SQLiteStorage to use it again");
  }
  return lock;
}

void SQLiteStorage::close() {
  std::unique_lock lock(life_);
  if (closed_) return;
  closed_ = true;
  checkpointer_.reset();  // before the write connection
  read_.reset();
  write_.reset();
}

std::unique_ptr<ChangeWatch> SQLiteStorage::watch() {
  auto open = enter();
  if (write_->db.in_memory()) return nullptr;
  return std::make_unique<SqliteWatch>(options_.path, wal_);
}

std::optional<Task> SQLiteStorage::get_task(std::string_view id) {
  validate_id(id);
  return read_with([&](SqliteDb& db) -> std::optional<Task> {
    Query q(db.prepared(sql::kTaskById), id);
    if (!q->step()) return std::nullopt;
    return read_named(db, *q, "task " + std::string(id), read_task);
  });
}

std::optional<TaskResult> SQLiteStorage::get_result(std::string_view id) {
  validate_id(id);
  return read_with([&](SqliteDb& db) -> std::optional<TaskResult> {
    Query q(db.prepared(sql::kResultById), id);
    if (!q->step()) return std::nullopt;
    return read_named(db, *q, "the result of task " + std::string(id), read_result);
  });
}

std::vector<Task> SQLiteStorage::list_tasks(const TaskFilter& filter) {
  std::optional<std::string_view> status;
  if (filter.status) status = to_string(*filter.status);
  return read_with([&](SqliteDb& db) {
    SqliteStatement q(db, sql::list_tasks(filter));
    q.bind_all(status, filter.func_path, filter.queue, filter.limit, filter.offset);
    std::vector<Task> out;
    while (q.step()) {
      try {
        out.push_back(read_task(q));
      } catch (const SerializationError& e) {
        logger()->warn("list_tasks skipped task {} (row {}) in SQLite database \"{}\": {}",
                       q.text(sql::kId).substr(0, 64), q.integer(sql::kRowid), db.path(), e.what());
      }
    }
    return out;
  });
}

QueueStats SQLiteStorage::stats() {
  return read_with([&](SqliteDb& db) {
    QueueStats s;
    SqliteTransaction snapshot(db, "BEGIN");
    for (Query q(db.prepared(sql::kCountByQueueAndStatus)); q->step();) {
      auto status = parse_status(q->text_view(1));
      if (!status) continue;  // never claimed; get_task names it
      auto i = static_cast<std::size_t>(*status);
      auto n = static_cast<std::size_t>(q->integer(2));
      s.counts[i] += n;
      s.queues[q->text(0)][i] += n;
    }
    if (Query q(db.prepared(sql::kOldestWaiting)); q->step() && !q->is_null(0)) {
      s.oldest_pending = waiting_time(db, q->text(0));
    }
    for (Query q(db.prepared(sql::kPaused)); q->step();) s.paused.push_back(q->text(0));
    snapshot.commit();
    return s;
  });
}

std::optional<Timestamp> SQLiteStorage::next_eta() {
  return read_with([&](SqliteDb& db) {
    std::optional<Timestamp> best;
    auto consider = [&](const std::string& text) {
      auto t = waiting_time(db, text);
      if (t && (!best || *t < *best)) best = t;
    };
    SqliteTransaction snapshot(db, "BEGIN");
    // The first task of each (queue, priority) group...
    std::string queue;
    for (std::int64_t priority = std::numeric_limits<std::int64_t>::min();;) {
      Query q(db.prepared(sql::kNextAnyGroup), queue, priority);
      if (!q->step()) break;
      queue = q->text(0);
      priority = q->integer(1);
      consider(q->text(2));
    }
    // ...and the rows whose eta is not in omniq's form (none: due at created_at).
    for (Query q(db.prepared(sql::kOddEtas)); q->step();) {
      consider(q->text(q->is_null(sql::kEta) ? sql::kCreatedAt : sql::kEta));
    }
    snapshot.commit();
    return best;
  });
}

std::vector<std::size_t> SQLiteStorage::finished_per_minute(Timestamp since, Timestamp until) {
  auto millis = [](Timestamp t) {
    return std::chrono::floor<std::chrono::milliseconds>(t).time_since_epoch().count();
  };
  return read_with([&](SqliteDb& db) {
    std::vector<std::size_t> counts(minutes_between(since, until));
    for (Query q(db.prepared(sql::kFinishedPerMinute), millis(since), millis(until)); q->step();) {
      auto minute = static_cast<std::size_t>(q->integer(0));
      if (minute < counts.size()) counts[minute] += static_cast<std::size_t>(q->integer(1));
    }
    return counts;
  });
}

std::vector<WorkerInfo> SQLiteStorage::workers(Timestamp since) {
  return read_with([&](SqliteDb& db) {
    std::vector<WorkerInfo> out;
    for (Query q(db.prepared(sql::kWorkers), format_time(since)); q->step();) {
      try {
        out.push_back(read_worker(*q));
      } catch (const std::exception& e) {
        logger()->warn("SQLite database \"{}\" holds a worker record omniq cannot read: {}",
                       db.path(), e.what());
      }
    }
    return out;
  });
}

}  // namespace omniq
