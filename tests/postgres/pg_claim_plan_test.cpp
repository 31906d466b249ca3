// The claim statement's plan: with a million tasks queued, the exact SQL the
// store runs walks the claim index and never scans the tasks table.
#include "pg_test_support.hpp"
#include "storage/postgres/pg_sql.hpp"
#include "support/store_calls.hpp"

namespace omniq::pgtest {
namespace {

TEST(PgClaimPlan, AMillionQueuedTasksAreClaimedThroughTheClaimIndex) {
  std::string schema = fresh_schema("plan");
  auto store = open_store(schema);
  auto c = connect(schema);
  // A quarter finished, a third in another queue, five priorities, due (and
  // created) a second apart: made by the server, not one by one.
  c->exec(
      "INSERT INTO tasks (id, func_path, status, eta, created_at, updated_at, queue, priority) "
      "SELECT 'task-' || g, 'job', CASE WHEN g % 4 = 0 THEN 'SUCCESS' ELSE 'PENDING' END, "
      "$1::timestamptz + g * interval '1 second', $1::timestamptz + g * interval '1 second', "
      "$1::timestamptz, "
      "CASE WHEN g % 3 = 0 THEN 'other' ELSE 'default' END, g % 5 "
      "FROM generate_series(1, 1000000) AS g",
      PgParams().time(kT0), soon(seconds(300)));
  c->exec("ANALYZE tasks", soon(seconds(120)));

  Timestamp now = kT0 + hours(24 * 30);
  PgParams p;
  p.text("default").time(now).integer(10).time(now + seconds(30));
  PgResult plan = c->exec(std::string("EXPLAIN ") + sql::kClaim, p, soon());
  std::string text;
  for (int i = 0; i < plan.rows(); ++i) text += std::string(plan.text(i, 0)) + "\n";
  EXPECT_NE(text.find("Index Scan using tasks_claim on tasks"), std::string::npos) << text;
  EXPECT_EQ(text.find("Seq Scan on tasks"), std::string::npos) << text;

  // And the store claims the lowest priority's earliest tasks, in order.
  auto claimed = claim(*store, now, 10, seconds(30));
  ASSERT_EQ(claimed.size(), 10u);
  for (std::size_t i = 1; i < claimed.size(); ++i) {
    EXPECT_EQ(claimed[i].priority, 0);
    EXPECT_LT(claimed[i - 1].created_at, claimed[i].created_at);
  }
  c->exec("DROP SCHEMA " + schema + " CASCADE", soon(seconds(120)));
}

}  // namespace
}  // namespace omniq::pgtest
