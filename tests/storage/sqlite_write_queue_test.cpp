// SqliteWriteQueue: concurrent writers share one transaction (group commit),
// and one writer's failure never takes the others' writes with it.
//
// Each test holds the first writer inside its transaction until the others
// have queued, so which requests share a batch is decided, not timed.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "omniq/settings.hpp"
#include "omniq/sqlite_storage.hpp"
#include "storage/sqlite_db.hpp"
#include "storage/sqlite_statement.hpp"
#include "storage/sqlite_write_queue.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {
namespace {

using namespace std::chrono;

class SqliteWriteQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.exec("PRAGMA journal_mode = WAL");
    db_.exec("CREATE TABLE t (x INTEGER PRIMARY KEY)");
  }

  void insert(int x) {
    SqliteStatement s(db_, "INSERT INTO t (x) VALUES (?1)");
    s.bind(1, x);
    s.run();
  }

  // Runs `first` as the leader of a batch of its own, and while it is inside
  // its transaction starts `others.size()` writers, which queue behind it and
  // so form the next batch together. Returns each other writer's error.
  std::vector<std::exception_ptr> run_behind_a_leader(std::vector<std::function<void()>> others) {
    std::atomic<bool> leading{false};
    std::thread leader([&] {
      queue_.run([&] {
        insert(0);
        leading = true;
        while (queue_.queued() < 1 + others.size()) std::this_thread::yield();
      });
    });
    while (!leading) std::this_thread::yield();
    std::vector<std::exception_ptr> errors(others.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < others.size(); ++i) {
      threads.emplace_back([&, i] {
        try {
          queue_.run(others[i]);
        } catch (...) {
          errors[i] = std::current_exception();
        }
      });
    }
    leader.join();
    for (auto& t : threads) t.join();
    return errors;
  }

  std::set<std::int64_t> rows() {
    SqliteStatement s(db_, "SELECT x FROM t");
    std::set<std::int64_t> out;
    while (s.step()) out.insert(s.integer(0));
    return out;
  }

  TempDir dir_;
  SqliteDb db_{(dir_ / "q.db").string(), seconds(5)};
  std::mutex db_mutex_;
  SqliteWriteQueue queue_{db_, db_mutex_};
};

TEST_F(SqliteWriteQueueTest, WritersThatQueueTogetherCommitInOneTransaction) {
  std::vector<std::function<void()>> writers;
  for (int i = 1; i <= 6; ++i) writers.push_back([this, i] { insert(i); });
  auto errors = run_behind_a_leader(writers);
  for (const auto& e : errors) EXPECT_FALSE(e);
  EXPECT_EQ(rows(), (std::set<std::int64_t>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(queue_.transactions(), 2u);  // the leader's, then one for all six
  EXPECT_EQ(queue_.commits(), 2u);
}

TEST_F(SqliteWriteQueueTest, AFailingWriterIsRolledBackAloneAndGetsItsOwnError) {
  std::vector<std::function<void()>> writers;
  for (int i = 1; i <= 5; ++i) writers.push_back([this, i] { insert(i); });
  writers.insert(writers.begin() + 2, [this] {
    insert(100);
    throw ValidationError("this writer changed its mind");
  });
  writers.insert(writers.begin() + 4, [this] { insert(0); });  // duplicate key
  auto errors = run_behind_a_leader(writers);
  EXPECT_THROW(std::rethrow_exception(errors[2]), ValidationError);
  EXPECT_THROW(std::rethrow_exception(errors[4]), StorageError);
  for (std::size_t i : {0u, 1u, 3u, 5u, 6u}) EXPECT_FALSE(errors[i]) << i;
  EXPECT_EQ(rows(), (std::set<std::int64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(queue_.transactions(), 2u);  // savepoints isolated the failures: no replay
}

TEST_F(SqliteWriteQueueTest, ABatchWhoseTransactionIsLostIsReplayedOneWriterAtATime) {
  std::vector<std::function<void()>> writers;
  for (int i = 1; i <= 4; ++i) writers.push_back([this, i] { insert(i); });
  // Ends the shared transaction under everyone's feet, as a full disk would.
  writers.insert(writers.begin() + 2, [this] {
    db_.exec("ROLLBACK");
    throw StorageError("disk full");
  });
  auto errors = run_behind_a_leader(writers);
  EXPECT_THROW(std::rethrow_exception(errors[2]), StorageError);
  for (std::size_t i : {0u, 1u, 3u, 4u}) EXPECT_FALSE(errors[i]) << i;
  EXPECT_EQ(rows(), (std::set<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(queue_.transactions(), 1u + 1u + 5u);  // leader, the lost batch, five replays
}

TEST_F(SqliteWriteQueueTest, AWriterAloneRunsWithoutASavepointAndRollsBackOnError) {
  EXPECT_THROW(queue_.run([this] {
    insert(7);
    throw ValidationError("no");
  }),
               ValidationError);
  queue_.run([this] { insert(8); });
  EXPECT_EQ(rows(), (std::set<std::int64_t>{8}));
  EXPECT_FALSE(db_.in_transaction());
}

TEST(SqliteGroupCommit, ConcurrentEnqueuesAndFinishesAreAllKept) {
  TempDir dir;
  SQLiteStorage store(SQLiteStorage::Options{(dir / "q.db").string()});
  const Timestamp t0 = sys_days{2026y / November / 26} + 6h;
  constexpr int kThreads = 8, kEach = 40;
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) {
        store.enqueue(make_task("job", Value::array({w, i}), {}, Settings{},
                                t0 + microseconds(w * kEach + i)));
      }
    });
  }
  for (auto& t : threads) t.join();
  threads.clear();
  std::atomic<int> finished{0};
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&] {
      while (auto t = store.dequeue(t0 + seconds(1), seconds(30))) {
        TaskResult r{t->id, TaskStatus::SUCCESS, t->args, {}, t0 + seconds(2), t->attempts, {}};
        if (store.mark_done(t->id, r)) ++finished;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(finished.load(), kThreads * kEach);
  EXPECT_EQ(store.stats().count(TaskStatus::SUCCESS), static_cast<std::size_t>(kThreads * kEach));
}

}  // namespace
}  // namespace omniq::testing
