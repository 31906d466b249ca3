// SQL injection attempts through every value that reaches a statement: they
// are stored and read back verbatim (or refused by validation), and nothing
// else changes.
#include "pg_test_support.hpp"

#include "support/store_calls.hpp"

namespace omniq::pgtest {
namespace {

const std::string kDrop = "x'); DROP TABLE tasks; --";

class PgInjection : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(schema_);
    sentinel_ = make("sentinel");
    enqueue(*store_, sentinel_);
  }
  // Everything but the sentinel is as the test left it, and the tables stand.
  void expect_untouched() {
    EXPECT_EQ(store_->get_task(sentinel_.id), sentinel_);
    auto c = connect(schema_);
    EXPECT_EQ(c->exec("SELECT count(*) FROM pg_tables WHERE schemaname = $1",
                      PgParams().text(schema_), soon())
                  .integer(0, 0),
              5);  // tasks, results, queues, workers, schema_version
  }

  std::string schema_ = fresh_schema("inject");
  std::unique_ptr<PostgresStorage> store_;
  Task sentinel_;
};

TEST_F(PgInjection, FuncPathsKwargsKeysArgsAndUniqueKeysRoundTripVerbatim) {
  Task t = make(kDrop);
  t.kwargs = Value{{"a'); DELETE FROM tasks; --", 1},
                   {"\"; DROP SCHEMA public CASCADE; --", "'; TRUNCATE results; --"},
                   {"$1", "$2::text"},
                   {"\\", "\\'"},
                   {"k\xC3\xA9y", Value::array({"'", "\"", ";"})}};
  t.args = Value::array({"'); DROP TABLE results; --", "\\x00", Value{{"'", "'"}}});
  t.unique_key = "k' OR '1'='1";
  t.unique_statuses = 0x13;  // PENDING, RUNNING, RETRYING
  ASSERT_TRUE(enqueue(*store_, t).created);
  EXPECT_EQ(store_->get_task(t.id), t);
  TaskFilter f;
  f.func_path = kDrop;
  auto listed = store_->list_tasks(f);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0], t);
  Task twin = make("twin");
  twin.unique_key = t.unique_key;
  twin.unique_statuses = t.unique_statuses;
  EXPECT_EQ(enqueue(*store_, twin), (Enqueued{t.id, false}));
  expect_untouched();
}

TEST_F(PgInjection, IdsAreValidatedBeforeTheyReachAQuery) {
  for (const std::string& id : {std::string("x' OR '1'='1"), kDrop, std::string("a;b")}) {
    EXPECT_THROW(store_->get_task(id), ValidationError) << id;
    EXPECT_THROW(store_->get_result(id), ValidationError) << id;
    EXPECT_THROW(store_->cancel(id, kT0), ValidationError) << id;
    std::vector<Claim> claims{{id, 1}};
    EXPECT_THROW(store_->renew_leases(claims, kT0), ValidationError) << id;
    Task t = make();
    t.id = id;
    EXPECT_THROW(enqueue(*store_, t), ValidationError) << id;
  }
  expect_untouched();
}

TEST_F(PgInjection, QueueNamesAreValidatedOrSentAsValues) {
  EXPECT_THROW(store_->set_paused(kDrop, true), ValidationError);
  EXPECT_THROW(claim(*store_, kT0, 1, seconds(30), kDrop), ValidationError);
  Task t = make();
  t.queue = kDrop;
  EXPECT_THROW(enqueue(*store_, t), ValidationError);
  TaskFilter f;
  f.queue = kDrop;
  EXPECT_TRUE(store_->list_tasks(f).empty());
  expect_untouched();
}

TEST_F(PgInjection, WorkerFieldsRoundTripVerbatim) {
  WorkerInfo w{kDrop, "host'; --", 7, {{"q'; --", 2}}, kT0, kT0};
  store_->record_worker(w);
  auto ws = store_->workers(kT0);
  ASSERT_EQ(ws.size(), 1u);
  EXPECT_EQ(ws[0].id, w.id);
  EXPECT_EQ(ws[0].host, w.host);
  EXPECT_EQ(ws[0].queues, w.queues);
  expect_untouched();
}

}  // namespace
}  // namespace omniq::pgtest
