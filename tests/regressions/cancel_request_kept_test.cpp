// Regression: a cancel requested for a RUNNING task (from another process, so
// no in-process notice reaches the worker) was cleared when the attempt then
// failed retryably, was given back, or its lease was recovered: the task ran
// again. Now a cancel request ends the task CANCELLED on every path, on every
// backend, and it never starts again.
#include <condition_variable>
#include <mutex>

#include "engine/engine_fixture.hpp"
#include "support/gate.hpp"
#include "support/store_calls.hpp"

namespace omniq::testing {
namespace {

using CancelRequestKept = EngineTest;

// Asks for the cancel as `omniq cancel` in another process would: straight
// through the store, so this process's pool hears of it only from the store.
void cancel_from_elsewhere(OmniQ& oq, const std::string& id, Timestamp now) {
  ASSERT_EQ(oq.storage()->cancel(id, now), CancelResult::requested);
}

TEST_P(CancelRequestKept, ARetryableFailureAfterTheRequestEndsCancelled) {
  Gate gate;
  std::atomic<int> runs{0};
  Registry r;
  r.add("flaky", [&]() -> int {
    ++runs;
    gate.wait();
    throw std::runtime_error("failed after the cancel request");
  });
  start(std::move(r));
  std::string id = oq().enqueue("flaky", Value::array(), {.max_retries = 5});
  ASSERT_TRUE(eventually([&] { return runs.load() == 1; }));
  cancel_from_elsewhere(oq(), id, clock_->now());
  gate.open();
  TaskResult res = wait_result(id);
  EXPECT_EQ(res.status, TaskStatus::CANCELLED);
  EXPECT_EQ(res.error->error_type, "Cancelled");
  EXPECT_EQ(status(id), TaskStatus::CANCELLED);
  // Never starts again, however long we wait.
  clock_->advance(hours(10));
  wait_result(oq().enqueue("flaky", Value::array(), {.max_retries = 0}));  // the pool is alive
  EXPECT_EQ(runs.load(), 2);
  EXPECT_EQ(oq().get_task(id)->attempts, 1);
}

TEST_P(CancelRequestKept, ALostLeaseAfterTheRequestEndsCancelled) {
  Task t = oq().make_task("job", Value::array(), {.max_retries = 5});
  oq().enqueue_many({t});
  // A worker (in a process that then dies) claims it; the cancel arrives; the lease runs out.
  auto claimed = claim(*oq().storage(), clock_->now(), 1, seconds(30));
  ASSERT_EQ(claimed.size(), 1u);
  cancel_from_elsewhere(oq(), t.id, clock_->now());
  EXPECT_EQ(recover_at(clock_->now() + minutes(1)), 1u);
  EXPECT_EQ(status(t.id), TaskStatus::CANCELLED);
  EXPECT_EQ(oq().get_result(t.id)->status, TaskStatus::CANCELLED);
  EXPECT_TRUE(claim(*oq().storage(), clock_->now() + hours(1), 10, seconds(30)).empty());
}

TEST_P(CancelRequestKept, AClaimGivenBackAtShutdownAfterTheRequestEndsCancelled) {
  Gate gate;
  std::atomic<int> started{0};
  Registry r;
  r.add("job", [&] {
    ++started;
    gate.wait();
    return 1;
  });
  auto options = fast_options(1);
  options.prefetch = 1;  // one task waits, claimed, behind the running one
  WorkerPool& pool = start(std::move(r), options);
  std::string first = oq().enqueue("job");
  std::string second = oq().enqueue("job");
  ASSERT_TRUE(
      eventually([&] { return started.load() == 1 && status(second) == TaskStatus::RUNNING; }));
  cancel_from_elsewhere(oq(), second, clock_->now());
  std::thread stopper([&] { pool.stop(); });  // gives the unstarted claim back
  ASSERT_TRUE(eventually([&] { return status(second) == TaskStatus::CANCELLED; }));
  gate.open();
  stopper.join();
  EXPECT_EQ(status(first), TaskStatus::SUCCESS);
  EXPECT_EQ(started.load(), 1);
  EXPECT_TRUE(claim(*oq().storage(), clock_->now() + hours(1), 10, seconds(30)).empty());
}

TEST_P(CancelRequestKept, AnIntervalTaskCancelledWhileRunningIsNotRearmed) {
  Gate gate;
  std::atomic<int> runs{0};
  Registry r;
  r.add("tick", [&] {
    ++runs;
    gate.wait();
    return 1;
  });
  start(std::move(r));
  std::string id = oq().enqueue("tick", Value::array(), {.interval = minutes(1)});
  ASSERT_TRUE(eventually([&] { return runs.load() == 1; }));
  cancel_from_elsewhere(oq(), id, clock_->now());
  gate.open();
  ASSERT_TRUE(reaches(id, TaskStatus::CANCELLED));
  clock_->advance(hours(1));
  wait_result(oq().enqueue("tick"));
  EXPECT_EQ(runs.load(), 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, CancelRequestKept, ::testing::ValuesIn(all_backends()),
                         backend_name);

}  // namespace
}  // namespace omniq::testing
