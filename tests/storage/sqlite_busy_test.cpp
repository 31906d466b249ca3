// SQLiteStorage while another connection holds the write lock: reads and idle
// polls do not wait for it, and a write that cannot get it within
// busy_timeout fails with a StorageError that says so (never a raw
// "database is locked").
#include <gtest/gtest.h>

#include "omniq/settings.hpp"
#include "omniq/sqlite_storage.hpp"
#include "storage/sqlite_db.hpp"
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
    store_->enqueue(waiting_);
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
    store_->enqueue(make("blocked"));
    ADD_FAILURE() << "expected StorageError";
  } catch (const StorageError& e) {
    std::string why = e.what();
    EXPECT_NE(why.find("stayed locked by another connection"), std::string::npos) << why;
    EXPECT_NE(why.find("20ms busy timeout"), std::string::npos) << why;
  }
  other_->exec("ROLLBACK");
  Task later = make("later");
  EXPECT_EQ(store_->enqueue(later), later.id);  // the store is fine once the lock is gone
}

TEST_F(SqliteBusy, ReadsSeeTheLastCommitWithoutWaiting) {
  EXPECT_EQ(store_->get_task(waiting_.id)->func_path, "waiting");
  EXPECT_EQ(store_->list_tasks({}).size(), 1u);
  EXPECT_EQ(store_->stats().count(TaskStatus::PENDING), 1u);
  EXPECT_EQ(store_->next_eta(), kT0 + hours(1));
  (void)store_->change_counter();
}

TEST_F(SqliteBusy, IdlePollsTakeNoWriteLock) {
  // Nothing is due and no lease ran out: neither call needs the lock.
  EXPECT_TRUE(store_->dequeue_many(kT0, 10, seconds(30)).empty());
  EXPECT_EQ(store_->recover_expired(kT0), 0u);
}

}  // namespace
}  // namespace omniq::testing
