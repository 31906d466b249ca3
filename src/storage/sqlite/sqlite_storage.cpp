// SQLiteStorage: wires the pieces together.
//
//   write connection  SqliteWriter's SQL, one BEGIN IMMEDIATE ... COMMIT per call
//   read connection   SqliteReader (get/list/stats/next_eta/expired, and the
//                     cheap "anything due?" probe before a claim takes the lock)
//   checkpointer      WAL checkpoints on a thread and connection of its own
//   watch             inotify on the WAL, for idle workers
//
// A ":memory:" database is private to its connection, so there one connection
// does both, under one mutex. Every call holds `life` shared; close() takes
// it exclusively.
#include "sqlite_storage.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "omniq/logging.hpp"
#include "sqlite_checkpointer.hpp"
#include "sqlite_reader.hpp"
#include "sqlite_schema.hpp"
#include "sqlite_watch.hpp"
#include "sqlite_writer.hpp"
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

}  // namespace

struct SQLiteStorage::Impl {
  struct Connection {
    Connection(const std::string& path, Duration busy_timeout) : db(path, busy_timeout) {}
    SqliteDb db;
    std::mutex mu;
  };

  explicit Impl(Options o) : options(std::move(o)) {
    if (options.busy_timeout.count() < 0) {
      throw ConfigError("SQLite busy_timeout is " + std::to_string(options.busy_timeout.count()) +
                        "us; expected 0 or more");
    }
    write = std::make_unique<Connection>(options.path, options.busy_timeout);
    SqliteDb& db = write->db;
    wal = enable_wal(db, options.busy_timeout) == "wal";
    if (!db.in_memory() && !wal) {
      logger()->warn("SQLite database \"{}\" cannot use WAL; readers will wait for writers",
                     options.path);
    }
    db.exec(synchronous_pragma(options.durability));
    ensure_sqlite_schema(db);
    if (!db.in_memory()) {
      read = std::make_unique<Connection>(options.path, options.busy_timeout);
      read->db.exec("PRAGMA query_only = 1");
      if (wal) {
        checkpointer = std::make_unique<SqliteCheckpointer>(
            db, synchronous_pragma(options.durability), options.busy_timeout);
      }
    }
  }

  std::shared_lock<std::shared_mutex> enter() {
    std::shared_lock lock(life);
    if (closed) {
      throw StorageError("SQLite store \"" + options.path +
                         "\" is closed; open a new SQLiteStorage to use it again");
    }
    return lock;
  }

  // Runs f(reader) under the read connection's mutex.
  template <class F>
  auto read_with(F&& f) {
    auto open = enter();
    Connection& c = read ? *read : *write;
    std::lock_guard lock(c.mu);
    SqliteReader reader(c.db);
    return f(reader);
  }

  // Runs f(writer) in one write transaction: all of it is committed, or
  // nothing if it throws.
  template <class F>
  auto write_with(F&& f) {
    auto open = enter();
    std::lock_guard lock(write->mu);
    SqliteTransaction txn(write->db);
    SqliteWriter writer(write->db);
    auto result = f(writer);
    txn.commit();
    return result;
  }

  // A claim could find something in one of the queues (read connection only).
  bool anything_due(const WriteBatch& batch) {
    return read_with([&](SqliteReader& r) {
      return std::any_of(batch.claims.begin(), batch.claims.end(), [&](const QueueClaim& c) {
        return c.n > 0 && r.anything_due(c.queue, batch.now);
      });
    });
  }

  void shut() {
    checkpointer.reset();  // before the write connection
    read.reset();
    write.reset();
  }

  Options options;
  std::shared_mutex life;
  bool closed = false;
  bool wal = false;
  std::unique_ptr<Connection> write, read;
  std::unique_ptr<SqliteCheckpointer> checkpointer;
};

SQLiteStorage::SQLiteStorage(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

SQLiteStorage::~SQLiteStorage() {
  close();
}

WriteResult SQLiteStorage::write(const WriteBatch& batch) {
  check_batch(batch);
  if (batch.enqueue.empty() && batch.outcomes.empty() && !impl_->anything_due(batch)) return {};
  return impl_->write_with([&](SqliteWriter& w) {
    WriteResult r;
    for (const Task& t : batch.enqueue) r.enqueued.push_back(w.insert(t));
    for (const Outcome& o : batch.outcomes) r.applied.push_back(w.apply(o));
    if (!batch.claims.empty()) w.normalize_etas(batch.now);
    for (const QueueClaim& c : batch.claims) {
      for (Task& t : w.claim(c, batch.now, batch.lease)) r.claimed.push_back(std::move(t));
    }
    return r;
  });
}

CancelResult SQLiteStorage::cancel(std::string_view id, Timestamp now) {
  validate_id(id);
  return impl_->write_with([&](SqliteWriter& w) { return w.cancel(std::string(id), now); });
}

std::vector<Applied> SQLiteStorage::renew_leases(std::span<const Claim> claims, Timestamp until) {
  for (const Claim& c : claims) validate_id(c.task_id);
  if (claims.empty()) return {};
  return impl_->write_with([&](SqliteWriter& w) { return w.renew(claims, until); });
}

std::vector<Task> SQLiteStorage::expired(Timestamp now, std::size_t limit) {
  auto found = impl_->read_with([&](SqliteReader& r) { return r.expired(now, limit); });
  if (!found.corrupt.empty()) {
    impl_->write_with([&](SqliteWriter& w) {
      for (const CorruptRow& row : found.corrupt) w.fail_corrupt(row, now);
      return 0;
    });
  }
  return std::move(found.tasks);
}

std::optional<Task> SQLiteStorage::get_task(std::string_view id) {
  validate_id(id);
  return impl_->read_with([&](SqliteReader& r) { return r.get_task(std::string(id)); });
}

std::optional<TaskResult> SQLiteStorage::get_result(std::string_view id) {
  validate_id(id);
  return impl_->read_with([&](SqliteReader& r) { return r.get_result(std::string(id)); });
}

std::vector<Task> SQLiteStorage::list_tasks(const TaskFilter& filter) {
  return impl_->read_with([&](SqliteReader& r) { return r.list_tasks(filter); });
}

QueueStats SQLiteStorage::stats() {
  return impl_->read_with([](SqliteReader& r) { return r.stats(); });
}

std::optional<Timestamp> SQLiteStorage::next_eta() {
  return impl_->read_with([](SqliteReader& r) { return r.next_eta(); });
}

std::size_t SQLiteStorage::purge_results(Timestamp older_than) {
  return impl_->write_with([&](SqliteWriter& w) { return w.purge(older_than); });
}

void SQLiteStorage::set_paused(std::string_view queue, bool paused) {
  validate_name(queue, "queue");
  impl_->write_with([&](SqliteWriter& w) {
    w.set_paused(std::string(queue), paused);
    return 0;
  });
}

std::vector<std::size_t> SQLiteStorage::finished_per_minute(Timestamp since, Timestamp until) {
  return impl_->read_with([&](SqliteReader& r) { return r.finished_per_minute(since, until); });
}

void SQLiteStorage::record_worker(const WorkerInfo& worker) {
  impl_->write_with([&](SqliteWriter& w) {
    w.record_worker(worker);
    return 0;
  });
}

std::vector<WorkerInfo> SQLiteStorage::workers(Timestamp since) {
  return impl_->read_with([&](SqliteReader& r) { return r.workers(since); });
}

std::unique_ptr<ChangeWatch> SQLiteStorage::watch() {
  auto open = impl_->enter();
  if (impl_->write->db.in_memory()) return nullptr;
  return std::make_unique<SqliteWatch>(impl_->options.path, impl_->wal);
}

void SQLiteStorage::close() {
  std::unique_lock lock(impl_->life);
  if (impl_->closed) return;
  impl_->closed = true;
  impl_->shut();
}

}  // namespace omniq
