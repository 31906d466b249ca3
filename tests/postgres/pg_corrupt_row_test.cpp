// Rows omniq cannot decode (written by hand, or by a broken writer) never
// crash a worker: a claim fails them as CorruptTask and goes on, listings
// leave them out, get_task names them. Each case is logged.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <sstream>

#include "base/log_events.hpp"
#include "pg_test_support.hpp"
#include "support/store_calls.hpp"

namespace omniq::pgtest {
namespace {

class PgCorruptRow : public ::testing::Test {
 protected:
  void SetUp() override {
    set_log_sinks({std::make_shared<spdlog::sinks::ostream_sink_mt>(log_)});
    store_ = open_store(schema_);
    enqueue(*store_, good_);
  }
  void TearDown() override {
    set_log_sinks({std::make_shared<spdlog::sinks::stderr_color_sink_mt>()});
  }

  void insert_by_hand(const std::string& id, const std::string& status, const std::string& args) {
    connect(schema_)->exec(
        "INSERT INTO tasks (id, func_path, args, status, eta, created_at, updated_at) "
        "VALUES ($1, 'job', $3::jsonb, $2, $4, $4, $4)",
        PgParams().text(id).text(status).text(args).time(kT0 - seconds(1)), soon());
  }

  std::ostringstream log_;
  std::string schema_ = fresh_schema("corrupt");
  std::unique_ptr<PostgresStorage> store_;
  Task good_ = make("good");
};

TEST_F(PgCorruptRow, AClaimFailsTheRowAsCorruptTaskAndGoesOn) {
  insert_by_hand("corrupt-1", "PENDING", "\"not an array\"");
  auto claimed = claim(*store_, kT0 + seconds(1), 10, seconds(30));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, good_.id);
  auto result = store_->get_result("corrupt-1");
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, TaskStatus::FAILED);
  ASSERT_TRUE(result->error.has_value());
  EXPECT_EQ(result->error->error_type, "CorruptTask");
  EXPECT_FALSE(result->error->is_retryable);
  PgResult row = connect(schema_)->exec(
      "SELECT status, error->>'error_type', lease_expires_at IS NULL FROM tasks WHERE id = $1",
      PgParams().text("corrupt-1"), soon());
  EXPECT_EQ(row.text(0, 0), "FAILED");
  EXPECT_EQ(row.text(0, 1), "CorruptTask");
  EXPECT_TRUE(row.boolean(0, 2));
  EXPECT_NE(log_.str().find("corrupt-1"), std::string::npos) << log_.str();
  EXPECT_TRUE(claim(*store_, kT0 + seconds(2), 10, seconds(30)).empty());  // it stays failed
}

TEST_F(PgCorruptRow, ListingsLeaveOutABadStatusAndGetTaskNamesIt) {
  insert_by_hand("bogus-1", "BOGUS", "[]");
  auto listed = store_->list_tasks({});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id, good_.id);
  EXPECT_NE(log_.str().find("bogus-1"), std::string::npos) << log_.str();
  try {
    store_->get_task("bogus-1");
    FAIL() << "decoded a row with status BOGUS";
  } catch (const SerializationError& e) {
    EXPECT_NE(std::string(e.what()).find("bogus-1"), std::string::npos) << e.what();
  }
  EXPECT_EQ(store_->stats().total(), 1u);
  EXPECT_EQ(claim(*store_, kT0 + seconds(1), 10, seconds(30)).size(), 1u);
}

}  // namespace
}  // namespace omniq::pgtest
