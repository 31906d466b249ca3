// SQLiteStorage::watch(): another store's commit to the same file makes the
// watch readable at once, consume() drains it, and a watch made before the
// WAL file exists finds it when it appears.
#include <gtest/gtest.h>
#include <poll.h>

#include "base/task_rules.hpp"
#include "omniq/settings.hpp"
#include "storage/sqlite/sqlite_db.hpp"
#include "storage/sqlite/sqlite_storage.hpp"
#include "storage/sqlite/sqlite_watch.hpp"
#include "support/store_calls.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {
namespace {

using namespace std::chrono;

const Timestamp kT0 = sys_days{2026y / November / 26} + 6h;

// True when `fd` becomes readable within `timeout`.
bool readable(int fd, milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1 && (p.revents & POLLIN) != 0;
}

Task make(std::string func) {
  return make_task(std::move(func), Value::array(), {}, Settings{}, kT0);
}

class SqliteWatchTest : public ::testing::Test {
 protected:
  std::string path() const { return (dir_ / "q.db").string(); }
  std::unique_ptr<SQLiteStorage> open() {
    return std::make_unique<SQLiteStorage>(SQLiteStorage::Options{path()});
  }

  TempDir dir_;
};

TEST_F(SqliteWatchTest, AnotherStoresCommitMakesTheWatchReadableAndConsumeDrainsIt) {
  auto idle = open();
  auto busy = open();
  auto watch = idle->watch();
  ASSERT_NE(watch, nullptr);
  watch->consume();
  EXPECT_FALSE(readable(watch->fd(), milliseconds(0)));

  enqueue(*busy, make("wake up"));
  EXPECT_TRUE(readable(watch->fd(), seconds(1)));
  watch->consume();
  EXPECT_FALSE(readable(watch->fd(), milliseconds(0)));

  // A claim, an outcome: every commit wakes it again.
  auto claimed = claim(*busy, kT0, 1, seconds(30));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_TRUE(readable(watch->fd(), seconds(1)));
  watch->consume();
  EXPECT_FALSE(readable(watch->fd(), milliseconds(0)));
  // Reads and idle claims commit nothing, so they wake nobody.
  busy->stats();
  claim(*busy, kT0, 1, seconds(30));
  EXPECT_FALSE(readable(watch->fd(), milliseconds(50)));
  busy->close();
  idle->close();
}

TEST_F(SqliteWatchTest, AWatchMadeBeforeTheWalExistsFindsItWhenItAppears) {
  SqliteWatch watch(path(), true);  // no database yet: its directory is watched
  EXPECT_FALSE(readable(watch.fd(), milliseconds(0)));
  auto store = open();  // creates the database and its -wal file
  EXPECT_TRUE(readable(watch.fd(), seconds(1)));
  watch.consume();  // now watches the -wal file itself
  enqueue(*store, make("first"));
  watch.consume();
  enqueue(*store, make("second"));
  EXPECT_TRUE(readable(watch.fd(), seconds(1)));
  watch.consume();
  EXPECT_FALSE(readable(watch.fd(), milliseconds(0)));
  store->close();
}

TEST_F(SqliteWatchTest, AnInMemoryDatabaseHasNoWatch) {
  SQLiteStorage store(SQLiteStorage::Options{":memory:"});
  EXPECT_EQ(store.watch(), nullptr);
}

}  // namespace
}  // namespace omniq::testing
