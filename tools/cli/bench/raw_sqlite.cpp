// `omniq bench --baseline raw-sqlite`: the queue's work done by hand on the
// sqlite3 C API, as a C program would, to measure what omniq's layers cost.
// Same table shapes as omniq's (tasks and results, a partial index on eta for
// waiting rows), WAL, synchronous as --durability, --batch tasks per
// transaction:
//   insert          INSERT of --tasks rows, --batch per transaction
//   single insert   one INSERT per transaction (autocommit), in its own file,
//                   run by the throughput mode in chunks between omniq's
//                   single enqueues (RawSingleInserts)
//   drain           per transaction: claim --batch rows with UPDATE ...
//                   RETURNING, then per row UPDATE to SUCCESS + INSERT result
#include <sqlite3.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "raw_sqlite.hpp"

#include "base/task_rules.hpp"
#include "bench_options.hpp"
#include "bench_store.hpp"
#include "measure.hpp"
#include "omniq/task.hpp"

namespace omniq::cli::bench {
namespace {

const char* const kSchema = R"(
CREATE TABLE tasks (id TEXT PRIMARY KEY, func_path TEXT NOT NULL, args TEXT NOT NULL,
  kwargs TEXT NOT NULL, status TEXT NOT NULL, schedule TEXT NOT NULL, eta TEXT,
  max_retries INTEGER NOT NULL, timeout INTEGER, attempts INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, last_attempt_at TEXT, error TEXT,
  lease_expires_at TEXT);
CREATE INDEX tasks_due ON tasks (eta) WHERE status IN ('PENDING', 'RETRYING');
CREATE TABLE results (task_id TEXT PRIMARY KEY, status TEXT NOT NULL, result TEXT, error TEXT,
  finished_at TEXT NOT NULL, attempts INTEGER NOT NULL, last_attempt_at TEXT,
  FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE CASCADE);
)";

const char* const kInsert =
    "INSERT INTO tasks (id, func_path, args, kwargs, status, schedule, eta, max_retries, timeout, "
    "attempts, created_at, updated_at) VALUES (?1, 'bench.noop', ?2, '{}', 'PENDING', '{}', ?3, "
    "3, 300, 0, ?3, ?3)";
const char* const kClaim =
    "UPDATE tasks SET status = 'RUNNING', attempts = attempts + 1, last_attempt_at = ?1, "
    "updated_at = ?1, lease_expires_at = ?2 WHERE rowid IN (SELECT rowid FROM tasks INDEXED BY "
    "tasks_due WHERE status IN ('PENDING', 'RETRYING') AND eta <= ?1 ORDER BY eta, rowid LIMIT "
    "?3) RETURNING id, func_path, args, attempts";
const char* const kComplete =
    "UPDATE tasks SET status = 'SUCCESS', updated_at = ?2, lease_expires_at = NULL WHERE id = ?1 "
    "AND status = 'RUNNING' AND attempts = ?3";
const char* const kResult =
    "INSERT INTO results (task_id, status, result, error, finished_at, attempts, "
    "last_attempt_at) VALUES (?1, 'SUCCESS', 'null', NULL, ?2, ?3, ?2)";

// One connection and its statements; every failure is a std::runtime_error.
class RawDb {
 public:
  RawDb(const std::string& path, Durability d) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) fail("open");
    exec("PRAGMA journal_mode = WAL");
    exec(d == Durability::full     ? "PRAGMA synchronous = FULL"
         : d == Durability::normal ? "PRAGMA synchronous = NORMAL"
                                   : "PRAGMA synchronous = OFF");
    exec(kSchema);
  }
  ~RawDb() {
    for (sqlite3_stmt* s : {insert_, claim_, complete_, result_}) sqlite3_finalize(s);
    sqlite3_close(db_);
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(sql);
  }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
      fail(sql);
    }
    return s;
  }
  void step_done(sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE) fail(sqlite3_sql(s));
    sqlite3_reset(s);
  }
  [[noreturn]] void fail(const char* what) {
    throw std::runtime_error(std::string("raw SQLite baseline: ") + sqlite3_errmsg(db_) +
                             " in: " + std::string(what).substr(0, 80));
  }

  void insert(std::size_t i, const std::string& payload, const std::string& now) {
    if (!insert_) insert_ = prepare(kInsert);
    std::string id = new_task_id(Timestamp{} + std::chrono::microseconds(i + 1));
    std::string args = "[" + std::to_string(i) + ",0,\"" + payload + "\"]";
    sqlite3_bind_text(insert_, 1, id.c_str(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(insert_, 2, args.c_str(), static_cast<int>(args.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(insert_, 3, now.c_str(), static_cast<int>(now.size()), SQLITE_TRANSIENT);
    step_done(insert_);
  }

  // One transaction: claim up to n due rows and complete each. Returns how many.
  std::size_t claim_and_complete(std::size_t n) {
    if (!claim_) {
      claim_ = prepare(kClaim);
      complete_ = prepare(kComplete);
      result_ = prepare(kResult);
    }
    Timestamp t = time_point_cast<Duration>(std::chrono::system_clock::now());
    std::string now = format_time(t), lease = format_time(t + std::chrono::seconds(30));
    exec("BEGIN IMMEDIATE");
    sqlite3_bind_text(claim_, 1, now.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(claim_, 2, lease.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(claim_, 3, static_cast<sqlite3_int64>(n));
    claimed_.clear();
    int rc;
    while ((rc = sqlite3_step(claim_)) == SQLITE_ROW) {
      const auto* id = reinterpret_cast<const char*>(sqlite3_column_text(claim_, 0));
      claimed_.emplace_back(id, sqlite3_column_int64(claim_, 3));
    }
    if (rc != SQLITE_DONE) fail(kClaim);
    sqlite3_reset(claim_);
    for (const auto& [id, attempts] : claimed_) {
      sqlite3_bind_text(complete_, 1, id.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(complete_, 2, now.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(complete_, 3, attempts);
      step_done(complete_);
      sqlite3_bind_text(result_, 1, id.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(result_, 2, now.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(result_, 3, attempts);
      step_done(result_);
    }
    exec("COMMIT");
    return claimed_.size();
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* claim_ = nullptr;
  sqlite3_stmt* complete_ = nullptr;
  sqlite3_stmt* result_ = nullptr;
  std::vector<std::pair<std::string, sqlite3_int64>> claimed_;
};

std::string now_text() {
  return format_time(time_point_cast<Duration>(std::chrono::system_clock::now()));
}

// Inserts o.tasks rows, o.batch per transaction, then drains them.
void measure_queue(const BenchOptions& o, RawDb& db, const std::string& payload, Json& r) {
  time_raw_loop(
      o, r,
      [&](std::size_t first, std::size_t n) {
        std::string now = now_text();
        db.exec("BEGIN IMMEDIATE");
        for (std::size_t j = first; j < first + n; ++j) db.insert(j, payload, now);
        db.exec("COMMIT");
      },
      [&] { return db.claim_and_complete(o.batch); });
}

}  // namespace

struct RawSingleInserts::Impl {
  Impl(const BenchOptions& o, const ScratchDir& d)
      : dir(d), db(d / "raw-single.db", o.durability), payload(o.payload, 'x') {}
  const ScratchDir& dir;
  RawDb db;
  std::string payload;
  std::size_t next = 0;
};

RawSingleInserts::RawSingleInserts(const BenchOptions& o, const ScratchDir& dir)
    : impl_(std::make_unique<Impl>(o, dir)) {}

RawSingleInserts::~RawSingleInserts() {
  const ScratchDir& dir = impl_->dir;
  impl_.reset();
  dir.remove("raw-single.db");
}

double RawSingleInserts::insert(std::size_t n) {
  auto start = SteadyClock::now();
  for (std::size_t i = 0; i < n; ++i) impl_->db.insert(impl_->next++, impl_->payload, now_text());
  return seconds_since(start);
}

Json run_raw_sqlite(const BenchOptions& o, const ScratchDir& dir) {
  Json r;
  r["baseline"] = "raw-sqlite";
  r["durability"] = std::string(to_string(o.durability));
  r["tasks"] = o.tasks;
  r["batch"] = o.batch;
  const std::string payload(o.payload, 'x');
  {
    RawDb db(dir / "raw.db", o.durability);
    measure_queue(o, db, payload, r);
  }
  dir.remove("raw.db");
  return r;
}

void add_baseline_ratios(Json& report) {
  const Json& b = report["baseline"];
  auto ratio = [](double a, double b2) { return rounded(b2 > 0 ? a / b2 : 0.0); };
  Json q;
  q["drain_vs_baseline_drain"] =
      ratio(report["drain_per_s"].get<double>(), b["drain_per_s"].get<double>());
  q["enqueue_many_vs_baseline_enqueue"] =
      ratio(report["enqueue_many_per_s"].get<double>(), b["enqueue_per_s"].get<double>());
  q["enqueue_vs_single_insert"] =
      ratio(report["enqueue_per_s"].get<double>(), b["single_insert_per_s"].get<double>());
  report["ratios"] = q;
}

}  // namespace omniq::cli::bench
