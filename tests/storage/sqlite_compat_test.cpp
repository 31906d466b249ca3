// SQLiteStorage and the original library's SQLite files: a database created
// and filled the way the Python library does it is upgraded in place, read,
// claimed in the right order and finished, and what omniq writes keeps the
// original's column forms (so the Python program can read it back).
#include "base/task_rules.hpp"
#include "omniq/settings.hpp"
#include "storage/sqlite/sqlite_sql.hpp"
#include "storage/sqlite/sqlite_statement.hpp"
#include "storage/sqlite_original.hpp"
#include "storage/storage_rules.hpp"
#include "support/store_calls.hpp"

namespace omniq::testing {
namespace {

using namespace std::chrono;

constexpr Duration kLease = seconds(30);
const Timestamp kDay = sys_days{2026y / November / 26};

class SqliteCompat : public OriginalDatabase {
 protected:
  // Rows as the Python library writes them: text times with and without
  // fraction, NULL eta for "now", schedule JSON with a timedelta interval,
  // integer timeout, the JSON text null for "no error".
  void fill_like_python() {
    insert({.id = "py-1", .timeout_sql = "30"});
    insert({.id = "py-2",
            .schedule = R"({"eta": "2026-11-26T04:06:41.500000+00:00", "interval": )"
                        R"({"type": "timedelta", "total_seconds": 60.0}})",
            .eta_sql = "'2026-11-26T04:06:41.500000+00:00'",
            .created_at = "2026-11-26T04:06:39.250000+00:00"});
    insert({.id = "py-3", .created_at = "2026-11-26T04:06:42+00:00"});
    insert({.id = "py-4",
            .schedule = R"({"eta": "2026-11-26T05:00:00+00:00"})",
            .eta_sql = "'2026-11-26T05:00:00+00:00'",
            .created_at = "2026-11-26T04:06:30+00:00"});
    insert({.id = "py-done",
            .status = "SUCCESS",
            .schedule = "{}",
            .created_at = "2026-11-26T03:59:00+00:00"});
    insert({.id = "py-failed",
            .status = "FAILED",
            .schedule = "{}",
            .created_at = "2026-11-26T04:00:00+00:00"});
    raw_->exec(
        "INSERT INTO results (task_id, status, result, error, finished_at, attempts, "
        "last_attempt_at) VALUES ('py-done', 'SUCCESS', '{\"v\": 1}', NULL, "
        "'2026-11-26T04:00:00+00:00', 1, '2026-11-26T03:59:59Z'), ('py-failed', 'FAILED', NULL, "
        "'division by zero', '2026-11-26T04:01:00Z', 2, NULL)");
  }
};

TEST_F(SqliteCompat, TheOriginalsDatabaseIsUpgradedInPlaceWithDefaults) {
  fill_like_python();
  store();
  EXPECT_EQ(raw_->query_int("PRAGMA user_version"), sql::kSchemaVersion);
  EXPECT_EQ(text("SELECT cancel_requested || '/' || coalesce(lease_expires_at, 'NULL') || '/' || "
                 "queue || '/' || priority || '/' || coalesce(unique_key, 'NULL') || '/' || "
                 "unique_statuses || '/' || coalesce(retry_of, 'NULL') FROM tasks WHERE id = "
                 "'py-1'"),
            "0/NULL/default/0/NULL/0/NULL");
  EXPECT_EQ(text("SELECT coalesce(error_detail, 'NULL') FROM results WHERE task_id = 'py-failed'"),
            "NULL");
  for (const char* table : {"omniq_queues", "omniq_workers"}) {
    EXPECT_EQ(raw_->query_int("SELECT count(*) FROM sqlite_schema WHERE name = '" +
                              std::string(table) + "'"),
              1)
        << table;
  }
  // The original's own INSERT still works after the upgrade.
  insert({.id = "py-late", .created_at = "2026-11-26T04:06:50+00:00"});
  Task late = *store().get_task("py-late");
  EXPECT_EQ(late.queue, "default");
  EXPECT_EQ(late.priority, 0);
  EXPECT_FALSE(late.unique_key.has_value());
}

TEST_F(SqliteCompat, TheOriginalsRowsReadAsTasksAndResults) {
  fill_like_python();
  Task t1 = *store().get_task("py-1");
  EXPECT_EQ(t1.func_path, "app.tasks.add");
  EXPECT_EQ(t1.args, Value::array({1, 2}));
  EXPECT_EQ(t1.kwargs, (Value{{"x", "y"}}));
  EXPECT_EQ(t1.status, TaskStatus::PENDING);
  EXPECT_EQ(t1.schedule, Schedule{});
  EXPECT_EQ(t1.timeout, seconds(30));
  EXPECT_EQ(t1.max_retries, 3);
  EXPECT_EQ(t1.created_at, kDay + 4h + 6min + 40s);
  EXPECT_FALSE(t1.error.has_value());
  EXPECT_EQ(t1.queue, "default");
  EXPECT_EQ(t1.priority, 0);
  Task t2 = *store().get_task("py-2");
  EXPECT_EQ(t2.schedule.eta, kDay + 4h + 6min + 41500ms);
  EXPECT_EQ(t2.schedule.interval, minutes(1));
  EXPECT_FALSE(t2.timeout.has_value());

  auto done = store().get_result("py-done");
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->result, (Value{{"v", 1}}));
  EXPECT_EQ(done->last_attempt_at, kDay + 3h + 59min + 59s);
  auto failed = store().get_result("py-failed");
  ASSERT_TRUE(failed.has_value());
  EXPECT_FALSE(failed->result.has_value());
  EXPECT_EQ(failed->attempts, 2);
  EXPECT_EQ(failed->error,
            (TaskError{"Error", "division by zero", kDay + 4h + 1min, std::nullopt, 0, false}));

  QueueStats s = store().stats();
  EXPECT_EQ(s.count(TaskStatus::PENDING), 4u);
  EXPECT_EQ(s.count(TaskStatus::SUCCESS), 1u);
  EXPECT_EQ(s.count(TaskStatus::FAILED), 1u);
  EXPECT_EQ(s.oldest_pending, kDay + 4h + 6min + 30s);
  // py-1 has no eta: it is due from its created_at, before py-2's eta.
  EXPECT_EQ(store().next_eta(), kDay + 4h + 6min + 40s);
}

TEST_F(SqliteCompat, TheOriginalsRowsAreClaimedInDueOrderAndFinished) {
  fill_like_python();
  Timestamp now = kDay + 4h + 7min;
  auto claimed = claim(store(), now, 10, kLease);
  ASSERT_EQ(claimed.size(), 3u);  // py-4 is not due yet
  EXPECT_EQ(claimed[0].id, "py-1");
  EXPECT_EQ(claimed[1].id, "py-2");
  EXPECT_EQ(claimed[2].id, "py-3");
  EXPECT_EQ(claimed[0].attempts, 1);
  EXPECT_EQ(claimed[0].schedule.eta, std::nullopt);  // the row's schedule is kept as it was
  // The claim gave py-1 its due time as eta, in the full form.
  EXPECT_EQ(text("SELECT eta FROM tasks WHERE id = 'py-1'"), "2026-11-26T04:06:40.000000+00:00");

  TaskError boom{"ZeroDivisionError", "boom", now, "Traceback ...", 0, false};
  auto outcome = [&](const char* id, TaskStatus status) {
    Outcome o;
    o.task_id = id;
    o.attempt = 1;
    o.status = status;
    o.at = now;
    if (status == TaskStatus::FAILED || status == TaskStatus::RETRYING) o.error = boom;
    if (is_terminal(status)) o.result = TaskResult{id, status, std::nullopt, o.error, now, 1, now};
    return o;
  };
  Outcome ok = outcome("py-1", TaskStatus::SUCCESS);
  ok.result->result = Value{{"sum", 3}};
  Outcome retry = outcome("py-3", TaskStatus::RETRYING);
  retry.next_eta = now + 1min;
  EXPECT_EQ(finish(store(), {ok, outcome("py-2", TaskStatus::FAILED), retry}),
            (std::vector<Applied>{Applied::yes, Applied::yes, Applied::yes}));

  // What the Python library reads back: its own column forms.
  EXPECT_EQ(text("SELECT status FROM tasks WHERE id = 'py-1'"), "SUCCESS");
  EXPECT_EQ(text("SELECT args FROM tasks WHERE id = 'py-1'"), "[1, 2]");
  EXPECT_EQ(Value::parse(text("SELECT result FROM results WHERE task_id = 'py-1'")),
            (Value{{"sum", 3}}));
  EXPECT_EQ(text("SELECT finished_at FROM results WHERE task_id = 'py-1'"),
            "2026-11-26T04:07:00.000000+00:00");
  EXPECT_EQ(text("SELECT typeof(result) || ',' || error FROM results WHERE task_id = 'py-2'"),
            "null,boom");
  EXPECT_EQ(text("SELECT updated_at FROM tasks WHERE id = 'py-2'"),
            "2026-11-26T04:07:00.000000+00:00");
  Value schedule = Value::parse(text("SELECT schedule FROM tasks WHERE id = 'py-3'"));
  EXPECT_EQ(schedule["eta"], "2026-11-26T04:08:00.000000+00:00");
  EXPECT_EQ(text("SELECT status || ' ' || eta FROM tasks WHERE id = 'py-3'"),
            "RETRYING 2026-11-26T04:08:00.000000+00:00");
  Value error = Value::parse(text("SELECT error FROM tasks WHERE id = 'py-3'"));
  EXPECT_EQ(error.size(), 6u);
  EXPECT_EQ(error["message"], "boom");
  // py-2 kept its interval in the original's timedelta form.
  Value s2 = Value::parse(text("SELECT schedule FROM tasks WHERE id = 'py-2'"));
  EXPECT_EQ(s2["interval"]["type"], "timedelta");

  // And omniq reads its own writes back.
  EXPECT_EQ(store().get_result("py-2")->error, boom);
  EXPECT_EQ(store().get_task("py-3")->schedule.eta, now + 1min);
}

TEST_F(SqliteCompat, TheOriginalsClaimQueryFindsOmniqsPendingTasks) {
  store();
  Timestamp t0 = kDay + 4h;
  Task plain = make_task("a", Value::array(), {}, Settings{}, t0 + 10s);
  TaskOptions at;
  at.eta = t0 + 5s;
  Task early = make_task("b", Value::array(), at, Settings{}, t0 + 20s);
  at.eta = t0 + 1h;
  Task later = make_task("c", Value::array(), at, Settings{}, t0 + 30s);
  TaskOptions fractional;
  fractional.timeout = milliseconds(1500);
  Task whole = make_task("d", Value::array(), {}, Settings{}, t0 + 40s);
  Task part = make_task("e", Value::array(), fractional, Settings{}, t0 + 50s);
  enqueue_many(store(), std::vector<Task>{plain, early, later, whole, part});

  // The original's query and its form of "now" (isoformat without fraction).
  SqliteStatement q(*raw_,
                    "SELECT id FROM tasks WHERE status = 'PENDING' AND (eta IS NULL OR eta <= ?1) "
                    "ORDER BY eta, created_at");
  q.bind(1, "2026-11-26T04:01:00+00:00");
  std::vector<std::string> found;
  while (q.step()) found.push_back(q.text(0));
  EXPECT_EQ(found, (std::vector<std::string>{early.id, plain.id, whole.id, part.id}));
  // Timeouts in integer seconds when whole, as the original writes them.
  EXPECT_EQ(text("SELECT typeof(timeout) FROM tasks WHERE id = '" + whole.id + "'"), "integer");
  EXPECT_EQ(text("SELECT timeout FROM tasks WHERE id = '" + part.id + "'"), "1.5");
  EXPECT_EQ(text("SELECT args || kwargs FROM tasks WHERE id = '" + plain.id + "'"), "[]{}");
}

}  // namespace
}  // namespace omniq::testing
