// The schema: created and migrated once under an advisory lock, with proper
// column types; newer or foreign schemas refused; sessions set up per
// Durability.
#include <latch>
#include <thread>

#include "pg_test_support.hpp"
#include "storage/postgres/pg_schema.hpp"
#include "support/store_calls.hpp"

namespace omniq::pgtest {
namespace {

TEST(PgSchema, EightStoresOpeningAnEmptyDatabaseAtOnceAllSucceedAndMigrateOnce) {
  std::string schema = fresh_schema("race");
  constexpr int kStores = 8;
  std::latch start(kStores);
  std::vector<std::string> errors(kStores);
  std::vector<std::thread> threads;
  for (int i = 0; i < kStores; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      try {
        auto s = open_store(schema);
        enqueue(*s, make("job", seconds(i)));
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(i)] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  auto c = connect(schema);
  PgResult r = c->exec("SELECT count(*), min(version), max(version) FROM schema_version", soon());
  EXPECT_EQ(r.integer(0, 0), kSchemaVersion);  // one row per version, each written once
  EXPECT_EQ(r.integer(0, 2), kSchemaVersion);
  EXPECT_EQ(c->exec("SELECT count(*) FROM tasks", soon()).integer(0, 0), kStores);
}

TEST(PgSchema, ReopeningKeepsTasksAndVersion) {
  std::string schema = fresh_schema();
  Task t = make();
  enqueue(*open_store(schema), t);
  auto again = open_store(schema);
  EXPECT_EQ(again->get_task(t.id), t);
  EXPECT_EQ(schema_version(*connect(schema), soon()), kSchemaVersion);
}

TEST(PgSchema, ColumnsHaveTheirOwnTypes) {
  std::string schema = fresh_schema();
  open_store(schema);
  PgResult r = connect(schema)->exec(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 "
      "AND table_name = 'tasks'",
      PgParams().text(schema), soon());
  std::map<std::string, std::string> types;
  for (int i = 0; i < r.rows(); ++i) types[std::string(r.text(i, 0))] = r.text(i, 1);
  EXPECT_EQ(types["eta"], "timestamp with time zone");
  EXPECT_EQ(types["created_at"], "timestamp with time zone");
  EXPECT_EQ(types["args"], "jsonb");
  EXPECT_EQ(types["kwargs"], "jsonb");
  EXPECT_EQ(types["error"], "jsonb");
  EXPECT_EQ(types["timeout_us"], "bigint");
  EXPECT_EQ(types["seq"], "bigint");
  EXPECT_EQ(types["priority"], "integer");
  EXPECT_EQ(types["unique_statuses"], "smallint");
  EXPECT_EQ(types["cancel_requested"], "boolean");
  EXPECT_EQ(types["status"], "text");
}

TEST(PgSchema, ANewerSchemaIsRefused) {
  std::string schema = fresh_schema();
  open_store(schema);
  connect(schema)->exec("INSERT INTO schema_version (version) VALUES (99)", soon());
  try {
    open_store(schema);
    FAIL() << "opened a schema at version 99";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("version 99"), std::string::npos) << e.what();
  }
}

TEST(PgSchema, TablesOmniqDidNotCreateAreRefused) {
  std::string schema = fresh_schema();
  auto c = connect(schema);
  c->exec_script("CREATE SCHEMA " + schema + "; CREATE TABLE " + schema + ".tasks (x int)", soon());
  try {
    open_store(schema);
    FAIL() << "took over a foreign tasks table";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("did not create"), std::string::npos) << e.what();
  }
}

TEST(PgSession, SynchronousCommitFollowsDurability) {
  std::string schema = fresh_schema();
  EXPECT_EQ(open_store(schema, Durability::full)->server_setting("synchronous_commit"), "on");
  EXPECT_EQ(open_store(schema, Durability::normal)->server_setting("synchronous_commit"), "off");
  EXPECT_EQ(open_store(schema, Durability::off)->server_setting("synchronous_commit"), "off");
}

TEST(PgSession, SessionsUseTheSchemaUtcAndTheTimeout) {
  std::string schema = fresh_schema();
  auto s = open_store(schema, Durability::full, milliseconds(2500));
  EXPECT_EQ(s->server_setting("search_path"), "\"" + schema + "\"");
  EXPECT_EQ(s->server_setting("TimeZone"), "UTC");
  EXPECT_EQ(s->server_setting("statement_timeout"), "2500ms");
}

}  // namespace
}  // namespace omniq::pgtest
