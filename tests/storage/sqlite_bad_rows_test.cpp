// SQLiteStorage: rows omniq cannot read (invalid JSON, unknown status,
// unreadable times) are isolated; they never crash a caller or stop the queue.
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "base/log_events.hpp"
#include "base/task_rules.hpp"
#include "omniq/settings.hpp"
#include "storage/sqlite/sqlite_db.hpp"
#include "storage/sqlite/sqlite_storage.hpp"
#include "support/store_calls.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {
namespace {

using namespace std::chrono;

const Timestamp kT0 = sys_days{2026y / November / 26} + 6h;
constexpr Duration kLease = seconds(30);

class SqliteBadRows : public ::testing::Test {
 protected:
  void SetUp() override {
    set_log_sinks({log_});
    store_ = std::make_unique<SQLiteStorage>(SQLiteStorage::Options{(dir_ / "q.db").string()});
    raw_ = std::make_unique<SqliteDb>((dir_ / "q.db").string(), seconds(5));
  }
  void TearDown() override {
    store_->close();
    set_log_sinks({std::make_shared<spdlog::sinks::stderr_color_sink_mt>()});
  }

  // True when a logged line contains `text`.
  bool logged(const std::string& text) const {
    for (const auto& line : log_->last_formatted()) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }

  // Inserts a row the way another writer might, bypassing omniq's checks.
  void insert_raw(const std::string& id, const std::string& status, const std::string& args,
                  const std::string& eta_sql, const std::string& created_at,
                  const std::string& extra_columns = "", const std::string& extra_values = "") {
    raw_->exec(
        "INSERT INTO tasks (id, func_path, args, kwargs, status, schedule, eta, "
        "max_retries, timeout, attempts, created_at, updated_at" +
        extra_columns + ") VALUES ('" + id + "', 'job', '" + args + "', '{}', '" + status +
        "', '{}', " + eta_sql + ", 0, NULL, 0, '" + created_at + "', '" + created_at + "'" +
        extra_values + ")");
  }
  std::string put(Duration offset) {
    Task t = make_task("good", Value::array({1}), {}, Settings{}, kT0 + offset);
    return enqueue(*store_, t).id;
  }
  void expect_failed_as_corrupt(const std::string& id) {
    EXPECT_EQ(raw_->query_text("SELECT status FROM tasks WHERE id = '" + id + "'"), "FAILED");
    auto r = store_->get_result(id);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, TaskStatus::FAILED);
    ASSERT_TRUE(r->error.has_value());
    EXPECT_EQ(r->error->error_type, "CorruptTask");
    EXPECT_FALSE(r->error->is_retryable);
  }

  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> log_ =
      std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  TempDir dir_;
  std::unique_ptr<SQLiteStorage> store_;
  std::unique_ptr<SqliteDb> raw_;
};

const std::string kEarly = "'2026-11-26T05:00:00.000000+00:00'";

TEST_F(SqliteBadRows, ClaimFailsARowWithInvalidJsonArgsAndClaimsTheOthers) {
  std::string a = put(seconds(1));
  insert_raw("bad-args", "PENDING", "[1, 2", kEarly, "2026-11-26T05:00:00.000000+00:00");
  std::string b = put(seconds(2));

  auto claimed = claim(*store_, kT0 + minutes(1), 10, kLease);
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].id, a);
  EXPECT_EQ(claimed[1].id, b);
  expect_failed_as_corrupt("bad-args");
  EXPECT_TRUE(logged("task bad-args (row 2)")) << "the corrupt row is logged";
  EXPECT_FALSE(logged("[1, 2")) << "argument values are never logged";
  // Reading it by id names it; listing skips it.
  try {
    store_->get_task("bad-args");
    ADD_FAILURE() << "expected SerializationError";
  } catch (const SerializationError& e) {
    EXPECT_NE(std::string(e.what()).find("bad-args"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("args"), std::string::npos) << e.what();
  }
  EXPECT_EQ(store_->list_tasks({}).size(), 2u);
  EXPECT_EQ(store_->stats().count(TaskStatus::FAILED), 1u);
}

TEST_F(SqliteBadRows, AnUnknownStatusIsNeverClaimedAndDoesNotBreakQueries) {
  insert_raw("odd-status", "PAUSED", "[]", kEarly, "2026-11-26T05:00:00.000000+00:00");
  std::string a = put(seconds(1));
  EXPECT_THROW(store_->get_task("odd-status"), SerializationError);
  EXPECT_THROW(store_->cancel("odd-status", kT0), SerializationError);
  EXPECT_EQ(store_->list_tasks({}).size(), 1u);
  EXPECT_TRUE(logged("list_tasks skipped task odd-status"));
  EXPECT_EQ(store_->stats().total(), 1u);
  auto claimed = claim(*store_, kT0 + minutes(1), 10, kLease);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, a);
  EXPECT_EQ(raw_->query_text("SELECT status FROM tasks WHERE id = 'odd-status'"), "PAUSED");
}

TEST_F(SqliteBadRows, ARowWithoutEtaAndAnUnreadableCreatedAtIsFailed) {
  insert_raw("bad-time", "PENDING", "[]", "NULL", "yesterday at noon");
  std::string a = put(seconds(1));
  auto claimed = claim(*store_, kT0 + minutes(1), 10, kLease);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, a);
  EXPECT_EQ(raw_->query_text("SELECT status FROM tasks WHERE id = 'bad-time'"), "FAILED");
  EXPECT_EQ(raw_->query_text("SELECT error_detail IS NOT NULL FROM results "
                             "WHERE task_id = 'bad-time'"),
            "1");
}

TEST_F(SqliteBadRows, AnInvalidIdIsFailedNotHandedToAWorker) {
  insert_raw("has space", "PENDING", "[]", kEarly, "2026-11-26T05:00:00.000000+00:00");
  EXPECT_TRUE(claim(*store_, kT0 + minutes(1), 10, kLease).empty());
  EXPECT_EQ(raw_->query_text("SELECT status FROM tasks WHERE id = 'has space'"), "FAILED");
}

TEST_F(SqliteBadRows, ExpiredFailsARunningRowItCannotReadAndListsTheOthers) {
  std::string a = put(seconds(1));
  ASSERT_EQ(claim(*store_, kT0 + seconds(1), 1, kLease).at(0).id, a);
  insert_raw("bad-running", "RUNNING", "{\"not\": \"an array\"}", kEarly,
             "2026-11-26T05:00:00.000000+00:00", ", lease_expires_at",
             ", '2026-11-26T05:00:30.000000+00:00'");
  auto lost = store_->expired(kT0 + hours(1), 10);
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].id, a);
  expect_failed_as_corrupt("bad-running");
  EXPECT_EQ(store_->get_task(a)->status, TaskStatus::RUNNING);  // the engine decides, not the store
  EXPECT_EQ(store_->expired(kT0 + hours(1), 10).size(), 1u);
}

TEST_F(SqliteBadRows, AResultWithInvalidJsonIsASerializationErrorNamingTheTask) {
  std::string a = put(seconds(1));
  raw_->exec(
      "INSERT INTO results (task_id, status, result, error, finished_at, attempts) "
      "VALUES ('" +
      a + "', 'SUCCESS', '{not json', NULL, '2026-11-26T06:00:00+00:00', 1)");
  try {
    store_->get_result(a);
    ADD_FAILURE() << "expected SerializationError";
  } catch (const SerializationError& e) {
    EXPECT_NE(std::string(e.what()).find(a), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("{not json"), std::string::npos) << e.what();
  }
}

TEST_F(SqliteBadRows, AWaitingRowOmniqCannotReadCanStillBeCancelled) {
  insert_raw("bad-cancel", "PENDING", "nope", "'2099-01-01T00:00:00.000000+00:00'",
             "2026-11-26T05:00:00.000000+00:00");
  EXPECT_EQ(store_->cancel("bad-cancel", kT0), CancelResult::cancelled);
  EXPECT_EQ(raw_->query_text("SELECT status FROM tasks WHERE id = 'bad-cancel'"), "CANCELLED");
  EXPECT_EQ(store_->get_result("bad-cancel")->status, TaskStatus::CANCELLED);
}

}  // namespace
}  // namespace omniq::testing
