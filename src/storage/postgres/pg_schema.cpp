#include "pg_schema.hpp"

#include "pg_result.hpp"
#include "pg_sql.hpp"

namespace omniq {
namespace {

// The first key of omniq's advisory locks ("omnq"); the second is the schema's hash.
constexpr std::int64_t kLockSpace = 0x6f6d6e71;

// Version 1. tasks.eta is the due time (the schedule's eta, or created_at);
// times are timestamptz, durations microseconds; seq is the enqueue order.
std::string version_1() {
  return std::string(R"(
CREATE TABLE tasks (
  id text COLLATE "C" PRIMARY KEY,
  func_path text NOT NULL,
  args jsonb NOT NULL DEFAULT '[]',
  kwargs jsonb NOT NULL DEFAULT '{}',
  status text COLLATE "C" NOT NULL,
  schedule jsonb NOT NULL DEFAULT '{}',
  eta timestamptz NOT NULL,
  max_retries int NOT NULL DEFAULT 0,
  timeout_us bigint,
  attempts int NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  last_attempt_at timestamptz,
  error jsonb,
  queue text COLLATE "C" NOT NULL DEFAULT 'default',
  priority int NOT NULL DEFAULT 0,
  unique_key text COLLATE "C",
  unique_statuses smallint NOT NULL DEFAULT 0,
  retry_of text,
  lease_expires_at timestamptz,
  cancel_requested boolean NOT NULL DEFAULT false,
  seq bigint GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX tasks_claim ON tasks (queue, priority, eta, seq)
  WHERE status IN ('PENDING', 'RETRYING');
CREATE INDEX tasks_due ON tasks (eta) WHERE status IN ('PENDING', 'RETRYING');
CREATE INDEX tasks_lease ON tasks (lease_expires_at) WHERE status = 'RUNNING';
CREATE UNIQUE INDEX tasks_unique_key ON tasks (unique_key) WHERE )") +
         sql::kHoldsKey + R"(;
CREATE TABLE results (
  task_id text COLLATE "C" PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
  status text NOT NULL,
  result jsonb,
  error jsonb,
  finished_at timestamptz NOT NULL,
  attempts int NOT NULL,
  last_attempt_at timestamptz
);
CREATE INDEX results_finished ON results (finished_at);
CREATE TABLE queues (
  name text COLLATE "C" PRIMARY KEY,
  paused boolean NOT NULL DEFAULT false
);
CREATE TABLE workers (
  id text COLLATE "C" PRIMARY KEY,
  host text NOT NULL,
  pid bigint NOT NULL,
  queues jsonb NOT NULL,
  started_at timestamptz NOT NULL,
  seen_at timestamptz NOT NULL
);
)";
}

struct Migration {
  int version;
  std::string (*script)();
};

// Version n's script turns a schema at version n-1 into version n.
const Migration kMigrations[] = {{1, version_1}};
static_assert(std::size(kMigrations) == kSchemaVersion);

void apply(PgConnection& conn, const PgTarget& target, const Migration& m, Deadline deadline) {
  try {
    conn.exec_script(m.script(), deadline);
  } catch (const PgError& e) {
    if (e.sqlstate() != "42P07") throw;  // duplicate_table
    throw StorageError("PostgreSQL schema \"" + target.schema + "\" at " + target.where +
                       " holds tables that omniq did not create (" + e.what() +
                       "); give omniq a schema of its own with ?schema=NAME in the URL");
  }
  conn.exec("INSERT INTO schema_version (version) VALUES ($1)", PgParams().integer(m.version),
            deadline);
}

}  // namespace

int schema_version(PgConnection& conn, Deadline deadline) {
  if (conn.exec("SELECT to_regclass('schema_version') IS NULL", deadline).boolean(0, 0)) return 0;
  PgResult r = conn.exec("SELECT coalesce(max(version), 0) FROM schema_version", deadline);
  return static_cast<int>(r.integer(0, 0));
}

void migrate(PgSlot& slot, const PgTarget& target, Deadline deadline) {
  in_transaction(slot, deadline, false, [&](PgConnection& conn) {
    conn.exec("SELECT pg_advisory_xact_lock($1::int, hashtext($2))",
              PgParams().integer(kLockSpace).text(target.schema), deadline);
    conn.exec_script("CREATE SCHEMA IF NOT EXISTS " + target.quoted_schema() +
                         "; CREATE TABLE IF NOT EXISTS schema_version (version int PRIMARY KEY, "
                         "applied_at timestamptz NOT NULL DEFAULT now())",
                     deadline);
    int have = schema_version(conn, deadline);
    if (have > kSchemaVersion) {
      throw StorageError("PostgreSQL schema \"" + target.schema + "\" at " + target.where +
                         " is at version " + std::to_string(have) + ", newer than this omniq's " +
                         std::to_string(kSchemaVersion) + "; upgrade omniq");
    }
    for (const Migration& m : kMigrations) {
      if (m.version > have) apply(conn, target, m, deadline);
    }
    return have;
  });
}

}  // namespace omniq
