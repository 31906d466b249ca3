// SQLiteStorage throughput, durability full, one process. Disabled by
// default (it measures, it asserts nothing about time). Run with:
//   ./build/tests/omniq_storage_tests --gtest_also_run_disabled_tests
//   --gtest_filter='SqliteThroughput.*'
#include <gtest/gtest.h>

#include <cstdio>
#include <thread>

#include "base/task_rules.hpp"
#include "omniq/settings.hpp"
#include "storage/sqlite/sqlite_storage.hpp"
#include "support/store_calls.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {
namespace {

using namespace std::chrono;

const Timestamp kT0 = sys_days{2026y / November / 26} + 6h;
constexpr int kTasks = 10000;
constexpr int kBatch = 100;

class SqliteThroughput : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_unique<SQLiteStorage>(
        SQLiteStorage::Options{(dir_ / "bench.db").string(), Durability::full});
    for (int i = 0; i < kTasks; ++i) {
      tasks_.push_back(make_task("bench.job", Value::array({i, "payload"}), {}, Settings{},
                                 kT0 + microseconds(i)));
    }
  }
  void TearDown() override { store_->close(); }

  template <class F>
  void measure(const char* what, F&& f) {
    auto start = steady_clock::now();
    f();
    double s = duration<double>(steady_clock::now() - start).count();
    std::printf("%-58s %8.3f s  %9.0f tasks/s\n", what, s, kTasks / s);
    RecordProperty(what, std::to_string(s));
  }

  void enqueue_in_batches() {
    for (int i = 0; i < kTasks; i += kBatch) {
      enqueue_many(*store_, std::span<const Task>(tasks_.data() + i, kBatch));
    }
  }

  TempDir dir_;
  std::unique_ptr<SQLiteStorage> store_;
  std::vector<Task> tasks_;
};

TEST_F(SqliteThroughput, DISABLED_SingleEnqueues) {
  measure("10,000 single enqueue calls, one thread", [&] {
    for (const Task& t : tasks_) enqueue(*store_, t);
  });
  EXPECT_EQ(store_->stats().total(), static_cast<std::size_t>(kTasks));
}

TEST_F(SqliteThroughput, DISABLED_SingleEnqueuesFromEightThreads) {
  measure("10,000 single enqueue calls, 8 threads (a commit each)", [&] {
    std::vector<std::thread> threads;
    for (int w = 0; w < 8; ++w) {
      threads.emplace_back([&, w] {
        for (int i = w; i < kTasks; i += 8) enqueue(*store_, tasks_[i]);
      });
    }
    for (auto& t : threads) t.join();
  });
  EXPECT_EQ(store_->stats().total(), static_cast<std::size_t>(kTasks));
}

TEST_F(SqliteThroughput, DISABLED_EnqueueManyInBatchesOf100) {
  measure("enqueue_many of 10,000 in batches of 100", [&] { enqueue_in_batches(); });
  EXPECT_EQ(store_->stats().total(), static_cast<std::size_t>(kTasks));
}

TEST_F(SqliteThroughput, DISABLED_DrainInBatchesOf100) {
  enqueue_in_batches();
  std::size_t done = 0;
  measure("drain 10,000: claim(100) + finish(100)", [&] {
    Timestamp now = kT0 + seconds(1);
    for (;;) {
      auto batch = claim(*store_, now, kBatch, seconds(30));
      if (batch.empty()) break;
      std::vector<Outcome> outs;
      outs.reserve(batch.size());
      for (const Task& t : batch) {
        Outcome o;
        o.task_id = t.id;
        o.attempt = t.attempts;
        o.result = TaskResult{t.id, TaskStatus::SUCCESS, t.args[0], {}, now, t.attempts, now};
        o.at = now;
        outs.push_back(std::move(o));
      }
      for (Applied a : finish(*store_, outs)) done += a == Applied::yes;
    }
  });
  EXPECT_EQ(done, static_cast<std::size_t>(kTasks));
}

TEST_F(SqliteThroughput, DISABLED_IdleClaimPolls) {
  for (Task& t : tasks_) t.schedule.eta = kT0 + hours(1);
  enqueue_in_batches();
  std::size_t claimed = 0;
  auto start = steady_clock::now();
  for (int i = 0; i < 100000; ++i) claimed += claim(*store_, kT0, 10, seconds(30)).size();
  double us = duration<double, std::micro>(steady_clock::now() - start).count() / 100000;
  std::printf("%-58s %8.2f us per call\n", "claim() with nothing due, 10,000 waiting", us);
  EXPECT_EQ(claimed, 0u);
}

}  // namespace
}  // namespace omniq::testing
