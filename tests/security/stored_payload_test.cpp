// Hostile bytes already in a store, written by someone with write access to
// it: a row whose arguments nest 100,000 levels is failed as CorruptTask
// without recursion, and the rest of the queue is claimed as usual. The store
// is opened through make_storage and the row written with the sqlite3 C API,
// as another writer would. (The file store's hostile files are in
// tests/storage/file_corrupt_test.cpp.)
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "base/task_rules.hpp"
#include "omniq/omniq.hpp"
#include "support/store_calls.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono;

const Timestamp kT0 = sys_days{2026y / November / 26} + 6h;

Task task_at(Duration offset) {
  return make_task("job", Value::array({1}), {}, Settings{}, kT0 + offset);
}

TEST(StoredSqlitePayload, RowNestedAHundredThousandLevelsFailsAsCorruptAndOthersRun) {
  TempDir dir;
  Settings s;
  s.backend = Backend::sqlite;
  s.database_url = (dir / "q.db").string();
  std::shared_ptr<Storage> store = make_storage(s);  // creates the schema
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "q.db").c_str(), &raw), SQLITE_OK);
  sqlite3_busy_timeout(raw, 5000);
  std::string when = format_time(kT0);
  std::string insert =
      "INSERT INTO tasks (id, func_path, args, kwargs, status, schedule, eta, max_retries, "
      "timeout, attempts, created_at, updated_at) VALUES ('deep', 'job', '" +
      std::string(100000, '[') + std::string(100000, ']') + "', '{}', 'PENDING', '{}', '" + when +
      "', 0, NULL, 0, '" + when + "', '" + when + "')";
  char* error = nullptr;
  int rc = sqlite3_exec(raw, insert.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(raw);
  ASSERT_EQ(rc, SQLITE_OK);

  Task good = task_at(seconds(5));
  enqueue(*store, good);
  auto claimed = claim(*store, kT0 + minutes(1), 10, seconds(30));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed.front().id, good.id);
  auto r = store->get_result("deep");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, TaskStatus::FAILED);
  ASSERT_TRUE(r->error.has_value());
  EXPECT_EQ(r->error->error_type, "CorruptTask");
  store->close();
}

}  // namespace
}  // namespace omniq::testing
