// Cancellation, timeouts, concurrency, shutdown and result waiting, on every backend.
#include <condition_variable>
#include <mutex>

#include "engine/engine_fixture.hpp"
#include "support/gate.hpp"
#include "support/store_calls.hpp"

namespace omniq::testing {
namespace {

TEST_P(EngineTest, CancelPendingAndRetryingTasks) {
  std::string pending = oq().enqueue("job");
  EXPECT_EQ(oq().cancel(pending), CancelResult::cancelled);
  EXPECT_EQ(status(pending), TaskStatus::CANCELLED);
  EXPECT_EQ(oq().get_result(pending)->status, TaskStatus::CANCELLED);

  Registry r;
  r.add("fails", []() -> int { throw std::runtime_error("x"); });
  start(std::move(r));
  std::string retrying = oq().enqueue("fails");
  ASSERT_TRUE(reaches(retrying, TaskStatus::RETRYING));
  EXPECT_EQ(oq().cancel(retrying), CancelResult::cancelled);
  clock_->advance(minutes(5));
  std::string probe = oq().enqueue("fails", Value::array(), {.max_retries = 0});
  wait_result(probe);
  EXPECT_EQ(status(retrying), TaskStatus::CANCELLED);
  EXPECT_EQ(oq().get_task(retrying)->attempts, 1);
  EXPECT_EQ(oq().cancel(retrying), CancelResult::already_finished);
  EXPECT_THROW(oq().cancel("no-such-task"), NotFoundError);
  EXPECT_THROW(oq().cancel("../bad"), ValidationError);
}

TEST_P(EngineTest, CancelRunningTaskStopsItAndEndsCancelled) {
  Gate gate;
  std::atomic<bool> saw_stop{false}, started{false};
  Registry r;
  r.add("long", [&](TaskContext& ctx) {
    started = true;
    bool opened = gate.wait(ctx.stop_token());
    saw_stop = !opened;
    return 1;
  });
  start(std::move(r));
  std::string id = oq().enqueue("long");
  ASSERT_TRUE(eventually([&] { return started.load(); }));
  EXPECT_EQ(oq().cancel(id), CancelResult::requested);
  TaskResult res = wait_result(id);
  EXPECT_EQ(res.status, TaskStatus::CANCELLED);
  EXPECT_TRUE(saw_stop.load());
  EXPECT_EQ(status(id), TaskStatus::CANCELLED);
  gate.open();
}

TEST_P(EngineTest, AsyncHandlerPastItsTimeoutIsCancelled) {
  Registry r;
  r.add("slow", []() -> asio::awaitable<int> {
    asio::steady_timer t(co_await asio::this_coro::executor, hours(1));
    co_await t.async_wait(asio::use_awaitable);
    co_return 1;
  });
  start(std::move(r));
  TaskOptions o;
  o.timeout = milliseconds(30);
  o.max_retries = 0;
  TaskResult res = wait_result(oq().enqueue("slow", Value::array(), o));
  EXPECT_EQ(res.status, TaskStatus::FAILED);
  EXPECT_EQ(res.error->error_type, "TimeoutError");
  EXPECT_TRUE(res.error->is_retryable);
}

TEST_P(EngineTest, SyncHandlerPastItsTimeoutGetsItsStopToken) {
  std::atomic<bool> stopped{false};
  Registry r;
  r.add("cooperative", [&](TaskContext& ctx) {
    while (!ctx.stop_requested()) std::this_thread::sleep_for(milliseconds(1));
    stopped = true;
    throw std::runtime_error("gave up");
    return 0;
  });
  start(std::move(r));
  TaskOptions o;
  o.timeout = milliseconds(30);
  o.max_retries = 0;
  TaskResult res = wait_result(oq().enqueue("cooperative", Value::array(), o));
  EXPECT_TRUE(stopped.load());
  EXPECT_EQ(res.error->error_type, "TimeoutError");
}

TEST_P(EngineTest, SyncHandlerThatIgnoresItsTimeoutIsAbandonedAndItsLateResultDropped) {
  Gate gate;
  std::atomic<bool> returned{false};
  Registry r;
  r.add("stuck", [&] {
    gate.wait();
    returned = true;
    return 99;
  });
  r.add("quick", [] { return 1; });
  start(std::move(r), [] {
    auto o = fast_options(1);
    o.timeout_grace = milliseconds(50);
    return o;
  }());
  TaskOptions o;
  o.timeout = milliseconds(30);
  o.max_retries = 0;
  std::string id = oq().enqueue("stuck", Value::array(), o);
  TaskResult res = wait_result(id);
  EXPECT_EQ(res.error->error_type, "TimeoutError");
  EXPECT_FALSE(returned.load());
  // The pool keeps its strength while the stuck thread waits (concurrency 1).
  EXPECT_EQ(wait_result(oq().enqueue("quick")).value<int>(), 1);
  gate.open();
  ASSERT_TRUE(eventually([&] { return returned.load(); }));
  std::string probe = oq().enqueue("quick");
  wait_result(probe);
  EXPECT_EQ(oq().get_result(id)->status, TaskStatus::FAILED);
  EXPECT_FALSE(oq().get_result(id)->result.has_value());
}

TEST_P(EngineTest, AtMostConcurrencyTasksRunAndThatManyRunTogether) {
  constexpr int kConcurrency = 3;
  std::atomic<int> running{0}, peak{0};
  Gate gate;
  Registry r;
  r.add("work", [&] {
    int now_running = ++running;
    int p = peak.load();
    while (now_running > p && !peak.compare_exchange_weak(p, now_running)) {
    }
    gate.wait();
    --running;
    return 0;
  });
  start(std::move(r), fast_options(kConcurrency));
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(oq().enqueue("work"));
  // All three slots fill while every handler is blocked: they run in parallel.
  ASSERT_TRUE(eventually([&] { return running.load() == kConcurrency; }));
  std::string waiting = ids.back();
  EXPECT_NE(status(waiting), TaskStatus::SUCCESS);
  gate.open();
  for (const auto& id : ids) EXPECT_EQ(wait_result(id).status, TaskStatus::SUCCESS);
  EXPECT_EQ(peak.load(), kConcurrency);
}

TEST_P(EngineTest, GracefulStopLetsRunningTasksFinishAndReleasesTheRest) {
  Gate gate;
  std::atomic<int> started{0};
  Registry r;
  r.add("work", [&] {
    ++started;
    gate.wait();
    return 1;
  });
  auto options = fast_options(2);
  options.prefetch = 4;  // claims ahead: 2 running, 4 claimed and waiting
  WorkerPool& pool = start(std::move(r), options);
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(oq().enqueue("work"));
  ASSERT_TRUE(eventually([&] { return started.load() == 2; }));
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    pool.stop();
    stopped = true;
  });
  // Claimed-but-unstarted tasks go back at once; stop waits for the running two.
  ASSERT_TRUE(eventually([&] { return oq().stats().count(TaskStatus::PENDING) == 4; }));
  EXPECT_FALSE(stopped.load());
  gate.open();
  stopper.join();
  QueueStats s = oq().stats();
  EXPECT_EQ(s.count(TaskStatus::SUCCESS), 2u);
  EXPECT_EQ(s.count(TaskStatus::PENDING), 4u);
  EXPECT_EQ(s.count(TaskStatus::RUNNING), 0u);
  // A claim given back still counts (attempts counts claims), but no error is recorded.
  for (const Task& t : oq().list_tasks({.status = TaskStatus::PENDING})) {
    EXPECT_EQ(t.attempts, 1);
    EXPECT_FALSE(t.error.has_value());
  }
}

TEST_P(EngineTest, StopPastTheGraceLeavesTheTaskToItsExpiringLease) {
  Gate gate;
  std::atomic<bool> started{false}, finished{false};
  Registry r;
  r.add("stubborn", [&] {
    started = true;
    gate.wait();
    finished = true;
    return 1;
  });
  auto options = fast_options(1);
  options.shutdown_grace = milliseconds(50);
  options.timeout_grace = milliseconds(50);
  options.lease = seconds(30);
  WorkerPool& pool = start(std::move(r), options);
  std::string id = oq().enqueue("stubborn");
  ASSERT_TRUE(eventually([&] { return started.load(); }));
  pool.stop();
  Task t = *oq().get_task(id);
  EXPECT_EQ(t.status, TaskStatus::RUNNING);
  ASSERT_TRUE(t.lease_expires_at.has_value());
  // Once the lease runs out, the task is recovered for another worker.
  EXPECT_EQ(recover_at(*t.lease_expires_at + seconds(1)), 1u);
  EXPECT_EQ(status(id), TaskStatus::RETRYING);
  EXPECT_EQ(oq().get_task(id)->error->error_type, "WorkerLost");
  gate.open();
  ASSERT_TRUE(eventually([&] { return finished.load(); }));  // the gate outlives its waiter
}

TEST_P(EngineTest, GetResultWaitsAndTimesOut) {
  EXPECT_FALSE(oq().get_result("never-enqueued").has_value());
  EXPECT_THROW(oq().get_result("never-enqueued", {.wait = true}), NotFoundError);
  std::string id = oq().enqueue("job");
  EXPECT_FALSE(oq().get_result(id).has_value());
  EXPECT_THROW(oq().get_result(id, {.wait = true, .timeout = milliseconds(30)}), TimeoutError);
  Registry r;
  r.add("job", [] { return "done"; });
  start(std::move(r));
  auto res = oq().get_result(id, {.wait = true, .timeout = seconds(20)});
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->value<std::string>(), "done");
  EXPECT_THROW(oq().get_result("bad/id"), ValidationError);
}

TEST_P(EngineTest, LostLeaseStopsTheHandlerAndItsOutcomeIsNotRecorded) {
  Gate gate;
  std::atomic<int> runs{0};
  Registry r;
  r.add("slow", [&](TaskContext& ctx) {
    ++runs;
    gate.wait(ctx.stop_token());
    return 1;
  });
  auto options = fast_options(1);
  options.lease = milliseconds(90);  // heartbeat every 30 ms
  WorkerPool& pool = start(std::move(r), options);
  std::string id = oq().enqueue("slow");
  ASSERT_TRUE(eventually([&] { return runs.load() == 1; }));
  // Another worker recovers the task (as if this one had died) and claims it.
  ASSERT_EQ(recover_at(clock_->now() + hours(1)), 1u);
  auto claimed = claim(*oq().storage(), clock_->now() + hours(2), 1, hours(2));
  ASSERT_EQ(claimed.size(), 1u);
  const Task* other = &claimed[0];
  ASSERT_TRUE(eventually([&] { return pool.stats().lost == 1; }));
  Task t = *oq().get_task(id);
  EXPECT_EQ(t.status, TaskStatus::RUNNING);
  EXPECT_EQ(t.attempts, other->attempts);
  EXPECT_FALSE(oq().get_result(id).has_value());
  gate.open();
}

}  // namespace
}  // namespace omniq::testing
