// SQLiteStorage opening a database of omniq's previous schema (version 1,
// before queues, priorities and unique keys): upgraded in place, its rows
// read with the new columns' defaults, its waiting tasks claimed and its
// running ones recovered. (The original library's tables: sqlite_compat_test.)
#include <gtest/gtest.h>

#include "omniq/settings.hpp"
#include "storage/sqlite/sqlite_db.hpp"
#include "storage/sqlite/sqlite_sql.hpp"
#include "storage/sqlite/sqlite_storage.hpp"
#include "support/store_calls.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {
namespace {

using namespace std::chrono;

const Timestamp kT0 = sys_days{2026y / November / 26} + 6h;

// Version 1's schema, as omniq wrote it.
const char* const kVersion1 = R"(
CREATE TABLE tasks (id TEXT PRIMARY KEY, func_path TEXT NOT NULL, args TEXT NOT NULL,
  kwargs TEXT NOT NULL, status TEXT NOT NULL, schedule TEXT NOT NULL, eta TEXT,
  max_retries INTEGER NOT NULL, timeout INTEGER, attempts INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, last_attempt_at TEXT, error TEXT,
  lease_expires_at TEXT DEFAULT NULL, cancel_requested INTEGER NOT NULL DEFAULT 0);
CREATE TABLE results (task_id TEXT PRIMARY KEY, status TEXT NOT NULL, result TEXT, error TEXT,
  finished_at TEXT NOT NULL, attempts INTEGER NOT NULL, last_attempt_at TEXT,
  error_detail TEXT DEFAULT NULL, FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE CASCADE);
CREATE INDEX omniq_tasks_due ON tasks (eta) WHERE status IN ('PENDING', 'RETRYING');
CREATE INDEX omniq_tasks_lease ON tasks (lease_expires_at) WHERE status = 'RUNNING';
CREATE INDEX omniq_tasks_status ON tasks (status);
PRAGMA user_version = 1;
INSERT INTO tasks VALUES ('v1-waiting', 'mail.send', '[1]', '{}', 'PENDING',
  '{"eta":"2026-11-26T06:00:05.000000+00:00"}', '2026-11-26T06:00:05.000000+00:00', 3, 30, 0,
  '2026-11-26T06:00:00.000000+00:00', '2026-11-26T06:00:00.000000+00:00', NULL, NULL, NULL, 0);
INSERT INTO tasks VALUES ('v1-running', 'report', '[]', '{}', 'RUNNING', '{}',
  '2026-11-26T05:00:00.000000+00:00', 0, NULL, 1, '2026-11-26T05:00:00.000000+00:00',
  '2026-11-26T05:59:00.000000+00:00', '2026-11-26T05:59:00.000000+00:00', NULL,
  '2026-11-26T05:59:30.000000+00:00', 0);
INSERT INTO tasks VALUES ('v1-done', 'report', '[]', '{}', 'SUCCESS', '{}',
  '2026-11-26T04:00:00.000000+00:00', 0, NULL, 1, '2026-11-26T04:00:00.000000+00:00',
  '2026-11-26T04:00:01.000000+00:00', '2026-11-26T04:00:00.000000+00:00', NULL, NULL, 0);
INSERT INTO results VALUES ('v1-done', 'SUCCESS', '42', NULL, '2026-11-26T04:00:01.000000+00:00',
  1, '2026-11-26T04:00:00.000000+00:00', NULL);
)";

class SqliteUpgrade : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteDb db(path(), seconds(5));
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(kVersion1);
  }
  std::string path() const { return (dir_ / "v1.db").string(); }

  TempDir dir_;
};

TEST_F(SqliteUpgrade, Version1IsUpgradedInPlaceAndItsRowsReadWithDefaults) {
  SQLiteStorage store(SQLiteStorage::Options{path()});
  SqliteDb db(path(), seconds(5));
  EXPECT_EQ(db.query_int("PRAGMA user_version"), sql::kSchemaVersion);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM pragma_table_info('tasks')"), 21);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM sqlite_schema WHERE name = 'omniq_tasks_due'"), 0);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM sqlite_schema WHERE name IN ('omniq_tasks_claim', "
                         "'omniq_tasks_unique', 'omniq_queues', 'omniq_workers')"),
            4);

  Task waiting = *store.get_task("v1-waiting");
  EXPECT_EQ(waiting.func_path, "mail.send");
  EXPECT_EQ(waiting.queue, "default");
  EXPECT_EQ(waiting.priority, 0);
  EXPECT_FALSE(waiting.unique_key.has_value());
  EXPECT_EQ(waiting.unique_statuses, 0);
  EXPECT_FALSE(waiting.retry_of.has_value());
  EXPECT_EQ(waiting.schedule.eta, kT0 + seconds(5));
  EXPECT_EQ(waiting.timeout, seconds(30));
  EXPECT_EQ(store.get_result("v1-done")->result, Value(42));
  EXPECT_EQ(store.next_eta(), kT0 + seconds(5));
  store.close();
}

TEST_F(SqliteUpgrade, Version1TasksAreClaimedAndRecoveredAfterTheUpgrade) {
  SQLiteStorage store(SQLiteStorage::Options{path()});
  EXPECT_TRUE(claim(store, kT0, 10, seconds(30)).empty());  // due at +5 s
  auto claimed = claim(store, kT0 + seconds(5), 10, seconds(30));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, "v1-waiting");
  EXPECT_EQ(claimed[0].attempts, 1);

  auto lost = store.expired(kT0, 10);  // its lease ran out at 05:59:30
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].id, "v1-running");
  Outcome o;
  o.task_id = "v1-running";
  o.attempt = 1;
  o.status = TaskStatus::RETRYING;
  o.next_eta = kT0 + seconds(1);
  o.at = kT0;
  o.lease_expired = true;
  EXPECT_EQ(finish(store, {o}), std::vector<Applied>{Applied::yes});
  EXPECT_EQ(claim(store, kT0 + seconds(1), 10, seconds(30)).at(0).id, "v1-running");
  store.close();
}

}  // namespace
}  // namespace omniq::testing
