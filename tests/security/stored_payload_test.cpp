// Hostile bytes already in a store, written by someone with write access to
// it: a row whose arguments nest 100,000 levels is failed as CorruptTask
// without recursion, and the rest of the queue is claimed as usual. (The file
// store's hostile files are in tests/storage/file_corrupt_test.cpp.)
#include <gtest/gtest.h>

#include "omniq/sqlite_storage.hpp"
#include "storage/sqlite_db.hpp"
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
  SQLiteStorage store(SQLiteStorage::Options{(dir / "q.db").string()});
  SqliteDb raw((dir / "q.db").string(), seconds(5));
  std::string when = format_time(kT0);
  raw.exec(
      "INSERT INTO tasks (id, func_path, args, kwargs, status, schedule, eta, max_retries, "
      "timeout, attempts, created_at, updated_at) VALUES ('deep', 'job', '" +
      std::string(100000, '[') + std::string(100000, ']') + "', '{}', 'PENDING', '{}', '" + when +
      "', 0, NULL, 0, '" + when + "', '" + when + "')");
  Task good = task_at(seconds(5));
  store.enqueue(good);
  auto claimed = store.dequeue_many(kT0 + minutes(1), 10, seconds(30));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed.front().id, good.id);
  auto r = store.get_result("deep");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, TaskStatus::FAILED);
  EXPECT_EQ(r->error->error_type, "CorruptTask");
  store.close();
}

}  // namespace
}  // namespace omniq::testing
