// SQLiteStorage: the hot queries are served by their indexes (no full scan of
// tasks, no sort), on omniq's own schema with a million tasks queued, and on
// a database the original library created with its own indexes.
#include <gtest/gtest.h>

#include <cstdio>

#include "omniq/settings.hpp"
#include "storage/sqlite/sqlite_db.hpp"
#include "storage/sqlite/sqlite_sql.hpp"
#include "storage/sqlite/sqlite_statement.hpp"
#include "storage/sqlite/sqlite_storage.hpp"
#include "storage/sqlite_original.hpp"
#include "support/store_calls.hpp"
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

// A million tasks in four queues and three priorities, 90% waiting, due one
// per second from 2026-11-26T00:00:00Z on, in one statement.
const char* const kMillionTasks = R"(
WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 999999)
INSERT INTO tasks (id, func_path, args, kwargs, status, schedule, eta, max_retries, created_at,
                   updated_at, queue, priority)
SELECT printf('t%07d', x), 'f', '[]', '{}', CASE WHEN x % 10 = 0 THEN 'SUCCESS' ELSE 'PENDING' END,
       '{}', strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', 1795651200 + x, 'unixepoch'),
       0, '2026-11-26T00:00:00.000000+00:00', '2026-11-26T00:00:00.000000+00:00', 'q' || (x % 4),
       x % 3
FROM n)";

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
    expect_served_by(sql::kClaim, "omniq_tasks_claim (queue=? AND priority=? AND eta<?)");
    expect_served_by(sql::kNextGroup, "omniq_tasks_claim (queue=? AND priority>?)");
    expect_served_by(sql::kNextAnyGroup, "omniq_tasks_claim ((queue,priority)>(?,?))");
    expect_served_by(sql::kOldestWaiting, "omniq_tasks_claim");
    expect_served_by(sql::kOddEtas, "omniq_tasks_odd_eta");
    expect_served_by(sql::kAnyOddEta, "omniq_tasks_odd_eta");
    expect_served_by(sql::kExpired, "omniq_tasks_lease (lease_expires_at<?)");
    expect_served_by(sql::kLeaseless, "omniq_tasks_lease (lease_expires_at=?)");
    expect_served_by(sql::kUniqueHolder, "omniq_tasks_unique (unique_key=?)");
    // Per-task statements go through the primary key or the rowid.
    for (const std::string& q : {sql::kTaskById, sql::kRenew}) {
      EXPECT_NE(plan_of(*db_, q).find("sqlite_autoindex_tasks_1 (id=?)"), std::string::npos) << q;
    }
    for (const std::string& q :
         {sql::kApplyOutcome, sql::kSetEta, sql::kCancel, sql::kRequestCancel, sql::kFailCorrupt}) {
      EXPECT_NE(plan_of(*db_, q).find("INTEGER PRIMARY KEY (rowid=?)"), std::string::npos) << q;
    }
  }

  TempDir dir_;
  std::unique_ptr<SqliteDb> db_;
};

TEST_F(SqliteQueryPlan, ClaimAndEveryHotQueryUseTheirIndexes) {
  expect_all_hot_queries_indexed();
}

TEST_F(SqliteQueryPlan, AMillionQueuedTasksAreClaimedThroughTheClaimIndex) {
  db_->exec("PRAGMA synchronous = OFF");
  db_->exec(kMillionTasks);
  db_->exec("PRAGMA analysis_limit = 400; ANALYZE");  // real statistics to be tempted by
  ASSERT_EQ(db_->query_int("SELECT count(*) FROM tasks"), 1'000'000);
  expect_all_hot_queries_indexed();
  std::printf("claim: %s\nplan with 1,000,000 tasks:\n%s", sql::kClaim.c_str(),
              plan_of(*db_, sql::kClaim).c_str());

  // And the store claims from it: queue q1 (priorities 1, 0, 2 by turns),
  // lowest priority first, then due order.
  SQLiteStorage store(SQLiteStorage::Options{path(), Durability::off});
  Timestamp now = sys_days{2026y / November / 26} + 1h;
  auto start = steady_clock::now();
  auto claimed = claim(store, now, 100, seconds(30), "q1");
  std::printf("claim(100) from 1,000,000 tasks: %.2f ms\n",
              duration<double, std::milli>(steady_clock::now() - start).count());
  ASSERT_EQ(claimed.size(), 100u);
  EXPECT_EQ(claimed.front().id, "t0000009");  // x % 4 == 1 and x % 3 == 0
  for (std::size_t i = 1; i < claimed.size(); ++i) {
    EXPECT_EQ(claimed[i].priority, 0);
    EXPECT_LT(claimed[i - 1].id, claimed[i].id);  // due one second apart, in id order
  }
  EXPECT_EQ(store.next_eta(), now - 1h + 1s);  // t0000000 is SUCCESS
  store.close();
}

TEST_F(SqliteQueryPlan, ListByStatusAndStatsUseTheStatusIndex) {
  TaskFilter by_status;
  by_status.status = TaskStatus::PENDING;
  std::string plan = plan_of(*db_, sql::list_tasks(by_status));
  EXPECT_NE(plan.find("omniq_tasks_status (status=?)"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
}

TEST(SqliteQueryPlanOriginal, ADatabaseWithTheOriginalsIndexesStillUsesOmniqs) {
  TempDir dir;
  std::string path = (dir / "orig.db").string();
  SqliteDb(path, seconds(5)).exec(kOriginalSchema);
  SQLiteStorage(SQLiteStorage::Options{path}).close();
  SqliteDb db(path, seconds(5));
  // The original's status index serves status queries; omniq adds no twin.
  EXPECT_EQ(db.query_int("SELECT count(*) FROM sqlite_schema WHERE name = 'omniq_tasks_status'"),
            0);
  std::string plan = plan_of(db, sql::kClaim);
  EXPECT_NE(plan.find("omniq_tasks_claim"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
  plan = plan_of(db, sql::kExpired);
  EXPECT_NE(plan.find("omniq_tasks_lease"), std::string::npos) << plan;
}

}  // namespace
}  // namespace omniq::testing
