// The queue's work done by hand on libpq, as a C program would, to measure
// what omniq's layers cost on PostgreSQL. Same tables and indexes as omniq's
// schema (src/storage/postgres/pg_schema.cpp: tasks and results; the claim,
// due, lease and unique-key indexes), synchronous_commit as --durability
// (full: on), --batch tasks per transaction, prepared statements:
//   insert          one multi-row INSERT of --batch rows per transaction
//   single insert   one INSERT per transaction (autocommit), in chunks
//                   between omniq's single enqueues (RawPgSingleInserts)
//   drain           per transaction: claim --batch rows (WITH ... FOR UPDATE
//                   SKIP LOCKED, UPDATE ... RETURNING), then per row an
//                   UPDATE to SUCCESS and an INSERT of its result, sent in one
//                   pipeline with the COMMIT (libpq pipeline mode)
#include "raw_postgres.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/task_rules.hpp"
#include "measure.hpp"
#include "omniq/task.hpp"
#include "pg_scratch.hpp"

namespace omniq::cli::bench {
namespace {

const char* const kSchema = R"(
CREATE TABLE tasks (id text COLLATE "C" PRIMARY KEY, func_path text NOT NULL,
  args jsonb NOT NULL DEFAULT '[]', kwargs jsonb NOT NULL DEFAULT '{}', status text COLLATE "C" NOT NULL,
  schedule jsonb NOT NULL DEFAULT '{}', eta timestamptz NOT NULL, max_retries int NOT NULL DEFAULT 0,
  timeout_us bigint, attempts int NOT NULL DEFAULT 0, created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL, last_attempt_at timestamptz, error jsonb,
  queue text COLLATE "C" NOT NULL DEFAULT 'default', priority int NOT NULL DEFAULT 0,
  unique_key text COLLATE "C", lease_expires_at timestamptz, seq bigint GENERATED ALWAYS AS IDENTITY);
CREATE INDEX tasks_claim ON tasks (queue, priority, eta, seq) WHERE status IN ('PENDING', 'RETRYING');
CREATE INDEX tasks_due ON tasks (eta) WHERE status IN ('PENDING', 'RETRYING');
CREATE INDEX tasks_lease ON tasks (lease_expires_at) WHERE status = 'RUNNING';
CREATE UNIQUE INDEX tasks_unique_key ON tasks (unique_key) WHERE unique_key IS NOT NULL;
CREATE TABLE results (task_id text COLLATE "C" PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
  status text NOT NULL, result jsonb, error jsonb, finished_at timestamptz NOT NULL,
  attempts int NOT NULL, last_attempt_at timestamptz);
CREATE INDEX results_finished ON results (finished_at);
)";

const char* const kColumns =
    "INSERT INTO tasks (id, func_path, args, status, eta, max_retries, timeout_us, created_at, "
    "updated_at) VALUES ";
const char* const kClaim =
    "WITH picked AS (SELECT id FROM tasks WHERE queue = 'default' AND status IN ('PENDING', "
    "'RETRYING') AND eta <= $1 ORDER BY priority, eta, seq LIMIT $2 FOR UPDATE SKIP LOCKED) "
    "UPDATE tasks t SET status = 'RUNNING', attempts = t.attempts + 1, last_attempt_at = $1, "
    "updated_at = $1, lease_expires_at = $3 FROM picked WHERE t.id = picked.id "
    "RETURNING t.id, t.attempts";
const char* const kComplete =
    "UPDATE tasks SET status = 'SUCCESS', updated_at = $2, lease_expires_at = NULL WHERE id = $1 "
    "AND status = 'RUNNING' AND attempts = $3";
const char* const kResult =
    "INSERT INTO results (task_id, status, result, finished_at, attempts, last_attempt_at) "
    "VALUES ($1, 'SUCCESS', 'null', $2, $3, $2)";

std::string now_text(std::chrono::seconds ahead = {}) {
  return format_time(time_point_cast<Duration>(std::chrono::system_clock::now() + ahead));
}

// One connection in a scratch schema of its own; every failure is a std::runtime_error.
class RawPg {
 public:
  RawPg(const BenchOptions& o, std::string name) : url_(o.db_url), name_(std::move(name)) {
    conn_ = PQconnectdb(pg_base_url(url_).c_str());
    if (PQstatus(conn_) != CONNECTION_OK) fail("connect");
    std::string schema = "\"" + pg_scratch_schema(name_) + "\"";
    exec(std::string("SET client_min_messages = warning; SET synchronous_commit = ") +
         (o.durability == Durability::full ? "on" : "off"));
    exec("CREATE SCHEMA " + schema + "; SET search_path = " + schema);
    exec(kSchema);
    prepare("claim", kClaim, 3);
    prepare("complete", kComplete, 3);
    prepare("result", kResult, 3);
  }
  ~RawPg() {
    PQfinish(conn_);
    drop_pg_scratch(url_, name_);
  }
  RawPg(const RawPg&) = delete;
  RawPg& operator=(const RawPg&) = delete;

  // Statements separated by semicolons, without parameters.
  void exec(const std::string& sql) { check(PQexec(conn_, sql.c_str()), sql); }

  // Inserts rows [from, from + n), one statement, in the current transaction.
  void insert(std::size_t from, std::size_t n, const std::string& payload) {
    std::string name = "insert" + std::to_string(n);
    if (prepared_.count(n) == 0) {
      std::string sql = kColumns;
      for (std::size_t k = 0; k < n; ++k) {
        std::string id = "$" + std::to_string(2 + 2 * k), args = "$" + std::to_string(3 + 2 * k);
        sql += (k ? ", (" : "(") + id + ", 'bench.noop', " + args +
               "::jsonb, 'PENDING', $1, 3, 300000000, $1, $1)";
      }
      prepare(name, sql, static_cast<int>(1 + 2 * n));
      prepared_[n] = true;
    }
    std::vector<std::string> params{now_text()};
    for (std::size_t i = from; i < from + n; ++i) {
      params.push_back(new_task_id(Timestamp{} + std::chrono::microseconds(i + 1)));
      params.push_back("[" + std::to_string(i) + ",0,\"" + payload + "\"]");
    }
    run(name, params);
  }

  // One transaction: claim up to n due rows and complete each. Returns how many.
  std::size_t claim_and_complete(std::size_t n) {
    std::string now = now_text(), lease = now_text(std::chrono::seconds(30));
    exec("BEGIN");
    PGresult* claimed = run("claim", {now, std::to_string(n), lease}, true);
    int rows = PQntuples(claimed);
    if (PQenterPipelineMode(conn_) == 0) fail("pipeline");
    for (int r = 0; r < rows; ++r) {
      std::string id = PQgetvalue(claimed, r, 0), attempts = PQgetvalue(claimed, r, 1);
      send("complete", {id, now, attempts});
      send("result", {id, now, attempts});
    }
    PQclear(claimed);
    if (PQsendQueryParams(conn_, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) == 0 ||
        PQpipelineSync(conn_) == 0) {
      fail("pipeline");
    }
    for (int q = 0; q < 2 * rows + 1; ++q) {
      while (PGresult* r = PQgetResult(conn_)) check(r, "the drain's pipeline");
    }
    PGresult* sync = PQgetResult(conn_);
    bool synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
    if (!synced || PQexitPipelineMode(conn_) == 0) fail("pipeline");
    return static_cast<std::size_t>(rows);
  }

 private:
  void prepare(const std::string& name, const std::string& sql, int params) {
    check(PQprepare(conn_, name.c_str(), sql.c_str(), params, nullptr), sql);
  }
  // Runs a prepared statement; returns its result when `keep` (else clears it).
  PGresult* run(const std::string& name, const std::vector<std::string>& params,
                bool keep = false) {
    std::vector<const char*> values;
    for (const std::string& p : params) values.push_back(p.c_str());
    PGresult* r = PQexecPrepared(conn_, name.c_str(), static_cast<int>(values.size()),
                                 values.data(), nullptr, nullptr, 0);
    return check(r, name, keep);
  }
  void send(const std::string& name, const std::vector<std::string>& params) {
    std::vector<const char*> values;
    for (const std::string& p : params) values.push_back(p.c_str());
    if (PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(),
                            nullptr, nullptr, 0) == 0) {
      fail(name);
    }
  }
  PGresult* check(PGresult* r, const std::string& what, bool keep = false) {
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      PQclear(r);
      fail(what);
    }
    if (keep) return r;
    PQclear(r);
    return nullptr;
  }
  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("raw PostgreSQL baseline: " + std::string(PQerrorMessage(conn_)) +
                             " in: " + what.substr(0, 80));
  }

  PGconn* conn_ = nullptr;
  std::string url_, name_;
  std::map<std::size_t, bool> prepared_;
};

}  // namespace

struct RawPgSingleInserts::Impl {
  explicit Impl(const BenchOptions& o) : db(o, "raw_single"), payload(o.payload, 'x') {}
  RawPg db;
  std::string payload;
  std::size_t next = 0;
};

RawPgSingleInserts::RawPgSingleInserts(const BenchOptions& o) : impl_(std::make_unique<Impl>(o)) {}

RawPgSingleInserts::~RawPgSingleInserts() = default;

double RawPgSingleInserts::insert(std::size_t n) {
  auto start = SteadyClock::now();
  for (std::size_t i = 0; i < n; ++i) impl_->db.insert(impl_->next++, 1, impl_->payload);
  return seconds_since(start);
}

Json run_raw_postgres(const BenchOptions& o) {
  Json r;
  r["baseline"] = "raw-postgres";
  r["durability"] = std::string(to_string(o.durability));
  r["tasks"] = o.tasks;
  r["batch"] = o.batch;
  const std::string payload(o.payload, 'x');
  RawPg db(o, "raw");
  time_raw_loop(
      o, r,
      [&](std::size_t first, std::size_t n) {
        db.exec("BEGIN");
        db.insert(first, n, payload);
        db.exec("COMMIT");
      },
      [&] { return db.claim_and_complete(o.batch); });
  return r;
}

}  // namespace omniq::cli::bench
