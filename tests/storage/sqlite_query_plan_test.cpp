// SQLiteStorage: the hot queries are served by their indexes (no full scan of
// tasks, no sort), on omniq's own schema and on a database the original
// library created with its own indexes.
#include <gtest/gtest.h>

#include "omniq/sqlite_storage.hpp"
#include "storage/sqlite_db.hpp"
#include "storage/sqlite_sql.hpp"
#include "storage/sqlite_statement.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {
namespace {

using namespace std::chrono;

// The plan of `query`, one detail line per step.
std::string plan_of(SqliteDb& db, const std::string& query) {
  SqliteStatement s(db, "EXPLAIN QUERY PLAN " + query);
  std::string plan;
  while (s.step()) plan += s.text(3) + "\n";
  return plan;
}

class SqliteQueryPlan : public ::testing::Test {
 protected:
  void SetUp() override {
    SQLiteStorage(SQLiteStorage::Options{path()}).close();
    db_ = std::make_unique<SqliteDb>(path(), seconds(5));
  }
  std::string path() const { return (dir_ / "q.db").string(); }

  // Asserts the query uses `index` and neither scans tasks nor sorts.
  void expect_served_by(const std::string& query, const std::string& index) {
    std::string plan = plan_of(*db_, query);
    EXPECT_NE(plan.find("USING INDEX " + index), std::string::npos) << query << "\n" << plan;
    EXPECT_EQ(plan.find("SCAN tasks\n"), std::string::npos) << query << "\n" << plan;
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << query << "\n" << plan;
  }

  void expect_all_hot_queries_indexed() {
    expect_served_by(sql::kClaim, "omniq_tasks_due (eta<?)");
    expect_served_by(sql::kDueProbe, "omniq_tasks_due");
    expect_served_by(sql::kFirstEta, "omniq_tasks_due");
    expect_served_by(sql::kFirstSetEta, "omniq_tasks_due (eta>?)");
    expect_served_by(sql::kNullEtas, "omniq_tasks_due (eta=?)");
    expect_served_by(sql::kNullEtaCreated, "omniq_tasks_due (eta=?)");
    expect_served_by(sql::kExpired, "omniq_tasks_lease (lease_expires_at<?)");
    expect_served_by(sql::kExpiredProbe, "omniq_tasks_lease (lease_expires_at<?)");
    // Per-task statements go through the primary key's index.
    for (const std::string& q : {sql::kFinish, sql::kTaskById, sql::kRenew, sql::kRelease,
                                 sql::kClaimById, sql::kCancel}) {
      std::string plan = plan_of(*db_, q);
      EXPECT_NE(plan.find("sqlite_autoindex_tasks_1 (id=?)"), std::string::npos) << q << plan;
    }
  }

  TempDir dir_;
  std::unique_ptr<SqliteDb> db_;
};

TEST_F(SqliteQueryPlan, ClaimRecoveryAndNextEtaUseTheirIndexes) {
  expect_all_hot_queries_indexed();
}

TEST_F(SqliteQueryPlan, PlansHoldWithStatisticsOverManyRows) {
  // 2,000 finished rows and a few waiting ones; ANALYZE gives the planner
  // real statistics to be tempted by.
  db_->exec("BEGIN");
  for (int i = 0; i < 2000; ++i) {
    const char* status = i % 100 == 0 ? "PENDING" : "SUCCESS";
    db_->exec(
        "INSERT INTO tasks (id, func_path, args, kwargs, status, schedule, eta, max_retries, "
        "timeout, attempts, created_at, updated_at) VALUES ('t" +
        std::to_string(i) + "', 'f', '[]', '{}', '" + status +
        "', '{}', '2026-11-26T06:00:00.000000+00:00', 0, NULL, 0, "
        "'2026-11-26T06:00:00.000000+00:00', '2026-11-26T06:00:00.000000+00:00')");
  }
  db_->exec("COMMIT");
  db_->exec("ANALYZE");
  expect_all_hot_queries_indexed();
}

TEST_F(SqliteQueryPlan, ListByStatusAndStatsUseTheStatusIndex) {
  std::string plan = plan_of(*db_, sql::kList[1][0]);
  EXPECT_NE(plan.find("omniq_tasks_status (status=?)"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
  plan = plan_of(*db_, sql::kCountByStatus);
  EXPECT_NE(plan.find("COVERING INDEX omniq_tasks_status"), std::string::npos) << plan;
}

TEST(SqliteQueryPlanOriginal, ADatabaseWithTheOriginalsIndexesStillUsesOmniqs) {
  TempDir dir;
  std::string path = (dir / "orig.db").string();
  {
    SqliteDb db(path, seconds(5));
    db.exec(R"(
      CREATE TABLE tasks (id TEXT PRIMARY KEY, func_path TEXT NOT NULL, args TEXT NOT NULL,
        kwargs TEXT NOT NULL, status TEXT NOT NULL, schedule TEXT NOT NULL, eta TEXT,
        max_retries INTEGER NOT NULL, timeout INTEGER, attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL, last_attempt_at TEXT, error TEXT);
      CREATE INDEX idx_tasks_status_eta ON tasks (status, eta);
      CREATE INDEX idx_tasks_eta ON tasks (eta);
      CREATE INDEX idx_tasks_status ON tasks (status);)");
  }
  SQLiteStorage(SQLiteStorage::Options{path}).close();
  SqliteDb db(path, seconds(5));
  // The original's status index serves status queries; omniq adds no twin.
  EXPECT_EQ(db.query_int("SELECT count(*) FROM sqlite_schema WHERE name = 'omniq_tasks_status'"),
            0);
  std::string plan = plan_of(db, sql::kClaim);
  EXPECT_NE(plan.find("omniq_tasks_due"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
  plan = plan_of(db, sql::kExpired);
  EXPECT_NE(plan.find("omniq_tasks_lease"), std::string::npos) << plan;
}

}  // namespace
}  // namespace omniq::testing
