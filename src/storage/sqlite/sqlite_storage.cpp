// SQLiteStorage: wires the pieces together.
//
//   write connection  SqliteWriteQueue (group commit) running SqliteWriter's SQL
//   read connection   SqliteReader (get/list/stats/next_eta, and the cheap
//                     "anything due?" probe before a claim takes the write lock)
//   watch connection  PRAGMA data_version for change_counter()
//   checkpointer      WAL checkpoints on a thread and connection of its own
//
// A ":memory:" database is private to its connection, so there one connection
// does all three, its mutex shared by the write queue's leader and readers.
// Every call holds `life_` shared; close() takes it exclusively.
#include "omniq/sqlite_storage.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "omniq/logging.hpp"
#include "sqlite_checkpointer.hpp"
#include "sqlite_codec.hpp"
#include "sqlite_reader.hpp"
#include "sqlite_schema.hpp"
#include "sqlite_write_queue.hpp"
#include "sqlite_writer.hpp"
#include "storage_rules.hpp"

namespace omniq {
namespace {

const char* synchronous_pragma(Durability d) {
  switch (d) {
    case Durability::full:
      return "PRAGMA synchronous = FULL";
    case Durability::normal:
      return "PRAGMA synchronous = NORMAL";
    case Durability::off:
      return "PRAGMA synchronous = OFF";
  }
  return "PRAGMA synchronous = FULL";
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
    std::string mode = enable_wal(db, options.busy_timeout);
    if (!db.in_memory() && mode != "wal") {
      logger()->warn(
          "SQLite database \"{}\" cannot use WAL (journal_mode is {}); readers will "
          "wait for writers",
          options.path, mode);
    }
    db.exec(synchronous_pragma(options.durability));
    ensure_sqlite_schema(db);
    if (!db.in_memory()) {
      read = std::make_unique<Connection>(options.path, options.busy_timeout);
      read->db.exec("PRAGMA query_only = 1");
      watch = std::make_unique<Connection>(options.path, options.busy_timeout);
      watch->db.exec("PRAGMA query_only = 1");
      data_version = std::make_unique<SqliteStatement>(watch->db, "PRAGMA data_version");
      if (mode == "wal") {
        checkpointer = std::make_unique<SqliteCheckpointer>(
            db, synchronous_pragma(options.durability), options.busy_timeout);
      }
    }
    queue = std::make_unique<SqliteWriteQueue>(db, write->mu);
    writer = std::make_unique<SqliteWriter>(db);
    reader = std::make_unique<SqliteReader>(reads().db);
  }

  std::shared_lock<std::shared_mutex> enter() {
    std::shared_lock lock(life);
    if (closed) {
      throw StorageError("SQLite store \"" + options.path +
                         "\" is closed; open a new SQLiteStorage to use it again");
    }
    return lock;
  }

  Connection& reads() { return read ? *read : *write; }

  // Runs f(reader) under the read connection's mutex.
  template <class F>
  auto read_with(F&& f) {
    std::lock_guard lock(reads().mu);
    return f(*reader);
  }

  void shut() {
    // Statements before their connections; the checkpointer before the write connection.
    checkpointer.reset();
    data_version.reset();
    reader.reset();
    writer.reset();
    queue.reset();
    watch.reset();
    read.reset();
    write.reset();
  }

  Options options;
  std::shared_mutex life;
  bool closed = false;
  std::unique_ptr<Connection> write, read, watch;
  std::unique_ptr<SqliteWriteQueue> queue;
  std::unique_ptr<SqliteWriter> writer;
  std::unique_ptr<SqliteReader> reader;
  std::unique_ptr<SqliteStatement> data_version;
  std::unique_ptr<SqliteCheckpointer> checkpointer;
};

SQLiteStorage::SQLiteStorage(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

SQLiteStorage::~SQLiteStorage() {
  close();
}

std::string SQLiteStorage::enqueue(const Task& task) {
  auto life = impl_->enter();
  validate_task(task);
  EncodedTask row = encode_task(task);
  impl_->queue->run([&] { impl_->writer->insert({&row, 1}); });
  return task.id;
}

std::vector<std::string> SQLiteStorage::enqueue_many(std::span<const Task> tasks) {
  auto life = impl_->enter();
  std::vector<EncodedTask> rows;
  std::vector<std::string> ids;
  rows.reserve(tasks.size());
  ids.reserve(tasks.size());
  for (const Task& t : tasks) {
    validate_task(t);
    rows.push_back(encode_task(t));
    ids.push_back(t.id);
  }
  if (rows.empty()) return ids;
  impl_->queue->run([&] { impl_->writer->insert(rows); });  // one request: all or none
  return ids;
}

std::vector<Task> SQLiteStorage::dequeue_many(Timestamp now, std::size_t n, Duration lease) {
  auto life = impl_->enter();
  if (n == 0) return {};
  if (!impl_->read_with([&](SqliteReader& r) { return r.anything_due(now); })) return {};
  std::vector<Task> claimed;
  impl_->queue->run([&] { claimed = impl_->writer->claim(now, n, lease); });
  return claimed;
}

Task SQLiteStorage::mark_running(std::string_view id, Timestamp now, Duration lease) {
  auto life = impl_->enter();
  validate_id(id);
  std::string key(id);
  Task t;
  impl_->queue->run([&] { t = impl_->writer->mark_running(key, now, lease); });
  return t;
}

std::vector<bool> SQLiteStorage::finish_many(std::span<const Outcome> outcomes) {
  auto life = impl_->enter();
  for (const Outcome& o : outcomes) check_outcome(o);
  std::vector<EncodedOutcome> encoded;
  encoded.reserve(outcomes.size());
  for (const Outcome& o : outcomes) encoded.push_back(encode_outcome(o));
  std::vector<bool> applied;
  if (encoded.empty()) return applied;
  impl_->queue->run([&] { applied = impl_->writer->finish(encoded); });
  return applied;
}

FinishAndClaim SQLiteStorage::finish_and_dequeue(std::span<const Outcome> outcomes, Timestamp now,
                                                 std::size_t n, Duration lease) {
  if (outcomes.empty() || n == 0) return Storage::finish_and_dequeue(outcomes, now, n, lease);
  {
    auto life = impl_->enter();
    for (const Outcome& o : outcomes) check_outcome(o);
    std::vector<EncodedOutcome> encoded;
    encoded.reserve(outcomes.size());
    for (const Outcome& o : outcomes) encoded.push_back(encode_outcome(o));
    FinishAndClaim r;
    try {
      impl_->queue->run([&] {
        r.applied = impl_->writer->finish(encoded);
        r.claimed = impl_->writer->claim(now, n, lease);
      });
      return r;
    } catch (const std::exception&) {
      // Nothing was committed. Done apart below, each part reports its own error.
    }
  }
  return Storage::finish_and_dequeue(outcomes, now, n, lease);
}

void SQLiteStorage::reschedule(std::string_view id, Timestamp new_eta) {
  auto life = impl_->enter();
  validate_id(id);
  std::string key(id);
  impl_->queue->run([&] { impl_->writer->reschedule(key, new_eta); });
}

CancelResult SQLiteStorage::cancel(std::string_view id, Timestamp now) {
  auto life = impl_->enter();
  validate_id(id);
  std::string key(id);
  CancelResult result = CancelResult::already_finished;
  impl_->queue->run([&] { result = impl_->writer->cancel(key, now); });
  return result;
}

std::vector<Claim> SQLiteStorage::renew_leases(std::span<const Claim> claims, Timestamp until) {
  auto life = impl_->enter();
  for (const Claim& c : claims) validate_id(c.task_id);
  std::vector<Claim> stop;
  if (claims.empty()) return stop;
  impl_->queue->run([&] { stop = impl_->writer->renew(claims, until); });
  return stop;
}

void SQLiteStorage::release(std::span<const Claim> claims, Timestamp now) {
  auto life = impl_->enter();
  for (const Claim& c : claims) validate_id(c.task_id);
  if (claims.empty()) return;
  impl_->queue->run([&] { impl_->writer->release(claims, now); });
}

std::optional<Task> SQLiteStorage::get_task(std::string_view id) {
  auto life = impl_->enter();
  validate_id(id);
  std::string key(id);
  return impl_->read_with([&](SqliteReader& r) { return r.get_task(key); });
}

std::optional<TaskResult> SQLiteStorage::get_result(std::string_view id) {
  auto life = impl_->enter();
  validate_id(id);
  std::string key(id);
  return impl_->read_with([&](SqliteReader& r) { return r.get_result(key); });
}

std::vector<Task> SQLiteStorage::list_tasks(const TaskFilter& filter) {
  auto life = impl_->enter();
  return impl_->read_with([&](SqliteReader& r) { return r.list_tasks(filter); });
}

QueueStats SQLiteStorage::stats() {
  auto life = impl_->enter();
  return impl_->read_with([](SqliteReader& r) { return r.stats(); });
}

std::optional<Timestamp> SQLiteStorage::next_eta() {
  auto life = impl_->enter();
  return impl_->read_with([](SqliteReader& r) { return r.next_eta(); });
}

std::size_t SQLiteStorage::purge_results(Timestamp older_than) {
  auto life = impl_->enter();
  std::size_t purged = 0;
  impl_->queue->run([&] { purged = impl_->writer->purge(older_than); });
  return purged;
}

std::size_t SQLiteStorage::recover_expired(Timestamp now) {
  auto life = impl_->enter();
  if (!impl_->read_with([&](SqliteReader& r) { return r.anything_expired(now); })) return 0;
  std::size_t recovered = 0;
  impl_->queue->run([&] { recovered = impl_->writer->recover(now); });
  return recovered;
}

std::uint64_t SQLiteStorage::change_counter() {
  auto life = impl_->enter();
  std::uint64_t local = impl_->queue->commits();
  if (!impl_->watch) return local;
  std::lock_guard lock(impl_->watch->mu);
  StatementUse q(*impl_->data_version);
  q->step();
  return local + static_cast<std::uint64_t>(q->integer(0));
}

void SQLiteStorage::close() {
  std::unique_lock lock(impl_->life);
  if (impl_->closed) return;
  impl_->closed = true;
  impl_->shut();
}

}  // namespace omniq
