// SQLiteStorage while another connection holds the write lock: reads and idle
// polls do not wait for it, and a write that cannot get it within
// busy_timeout fails with a StorageError that says so (never a raw
// "database is locked").
#include <gtest/gtest.h>

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

class SqliteBusy : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_unique<SQLiteStorage>(
        SQLiteStorage::Options{(dir_ / "q.db").string(), Durability::full, milliseconds(20)});
    waiting_ = make("waiting");
    enqueue(*store_, waiting_);
    other_ = std::make_unique<SqliteDb>((dir_ / "q.db").string(), seconds(5));
    other_->exec("BEGIN IMMEDIATE");  // another process's long write transaction
    other_->exec("UPDATE tasks SET func_path = 'uncommitted'");
  }
  void TearDown() override {
    if (other_->in_transaction()) other_->exec("ROLLBACK");
    store_->close();
  }
  Task make(std::string func) {
    return make_task(std::move(func), Value::array(), {}, Settings{}, kT0 + hours(1));
  }

  TempDir dir_;
  std::unique_ptr<SQLiteStorage> store_;
  std::unique_ptr<SqliteDb> other_;
  Task waiting_;
};

TEST_F(SqliteBusy, AWriteThatCannotGetTheLockIsAStorageErrorSayingWhy) {
  try {
    enqueue(*store_, make("blocked"));
    ADD_FAILURE() << "expected StorageError";
  } catch (const StorageError& e) {
    std::string why = e.what();
    EXPECT_NE(why.find("stayed locked by another connection"), std::string::npos) << why;
    EXPECT_NE(why.find("20ms busy timeout"), std::string::npos) << why;
  }
  other_->exec("ROLLBACK");
  Task later = make("later");
  EXPECT_EQ(enqueue(*store_, later).id, later.id);  // the store is fine once the lock is gone
}

TEST_F(SqliteBusy, ReadsSeeTheLastCommitWithoutWaiting) {
  EXPECT_EQ(store_->get_task(waiting_.id)->func_path, "waiting");
  EXPECT_EQ(store_->list_tasks({}).size(), 1u);
  EXPECT_EQ(store_->stats().count(TaskStatus::PENDING), 1u);
  EXPECT_EQ(store_->next_eta(), kT0 + hours(1));
  EXPECT_TRUE(store_->workers(kT0).empty());
  EXPECT_EQ(store_->finished_per_minute(kT0, kT0 + minutes(2)), std::vector<std::size_t>(2));
}

TEST_F(SqliteBusy, IdlePollsTakeNoWriteLock) {
  // Nothing is due (nor in a paused or empty queue) and no lease ran out:
  // none of these calls needs the lock.
  EXPECT_TRUE(claim(*store_, kT0, 10, seconds(30)).empty());
  EXPECT_TRUE(claim(*store_, kT0 + hours(2), 10, seconds(30), "other").empty());
  WriteBatch nothing;
  nothing.claims = {{"default", 0}};
  EXPECT_TRUE(store_->write(nothing).claimed.empty());
  EXPECT_TRUE(store_->expired(kT0 + hours(2), 10).empty());
}

}  // namespace
}  // namespace omniq::testing
