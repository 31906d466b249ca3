// The task lifecycle end to end through OmniQ and a WorkerPool, on every backend.
#include <mutex>
#include <set>

#include "engine/engine_fixture.hpp"

namespace omniq::testing {
namespace {

TEST_P(EngineTest, SyncHandlerResultIsStored) {
  Registry r;
  r.add("math.add", [](int a, int b) { return a + b; });
  start(std::move(r));
  std::string id = oq().enqueue("math.add", {2, 3});
  TaskResult res = wait_result(id);
  EXPECT_EQ(res.status, TaskStatus::SUCCESS);
  EXPECT_EQ(res.value<int>(), 5);
  EXPECT_EQ(res.attempts, 1);
  EXPECT_EQ(status(id), TaskStatus::SUCCESS);
}

TEST_P(EngineTest, AsyncHandlerRunsOnTheEventLoop) {
  Registry r;
  r.add("greet",
        [](std::string name) -> asio::awaitable<std::string> { co_return "hello " + name; });
  start(std::move(r));
  std::string id = oq().enqueue("greet", {"ada"});
  EXPECT_EQ(wait_result(id).value<std::string>(), "hello ada");
}

TEST_P(EngineTest, VoidHandlerStoresNull) {
  std::atomic<int> calls{0};
  Registry r;
  r.add("touch", [&] { ++calls; });
  start(std::move(r));
  TaskResult res = wait_result(oq().enqueue("touch"));
  ASSERT_TRUE(res.result.has_value());
  EXPECT_TRUE(res.result->is_null());
  EXPECT_EQ(calls.load(), 1);
}

TEST_P(EngineTest, ContextHandlerSeesKwargsAttemptAndId) {
  Registry r;
  r.add("ctx", [](TaskContext& ctx) {
    return Value{{"id", ctx.id()}, {"attempt", ctx.attempt()}, {"x", ctx.kwargs()["x"]}};
  });
  start(std::move(r));
  TaskOptions o;
  o.kwargs = Value{{"x", 42}};
  std::string id = oq().enqueue("ctx", Value::array(), o);
  Value v = *wait_result(id).result;
  EXPECT_EQ(v["id"], id);
  EXPECT_EQ(v["attempt"], 1);
  EXPECT_EQ(v["x"], 42);
}

TEST_P(EngineTest, FailureIsRetriedWithBackoffThenSucceeds) {
  std::atomic<int> calls{0};
  Registry r;
  r.add("flaky", [&]() -> int {
    if (++calls < 3) throw std::runtime_error("not yet");
    return 7;
  });
  start(std::move(r));
  std::string id = oq().enqueue("flaky");
  ASSERT_TRUE(reaches(id, TaskStatus::RETRYING));
  Task t = *oq().get_task(id);
  ASSERT_TRUE(t.schedule.eta.has_value());
  // First retry after base 1s +/-25%.
  EXPECT_GE(*t.schedule.eta - clock_->now(), milliseconds(750));
  EXPECT_LE(*t.schedule.eta - clock_->now(), milliseconds(1250));
  EXPECT_EQ(t.error->message, "not yet");
  EXPECT_EQ(t.error->retry_count, 0);
  EXPECT_EQ(calls.load(), 1);  // not run again before its eta

  clock_->advance(seconds(2));
  ASSERT_TRUE(eventually([&] {
    auto task = oq().get_task(id);
    return task->status == TaskStatus::RETRYING && task->attempts == 2;
  }));
  t = *oq().get_task(id);
  EXPECT_EQ(t.error->retry_count, 1);
  // Second retry after 2s +/-25%.
  EXPECT_GE(*t.schedule.eta - clock_->now(), milliseconds(1500));
  EXPECT_LE(*t.schedule.eta - clock_->now(), milliseconds(2500));

  clock_->advance(seconds(3));
  TaskResult res = wait_result(id);
  EXPECT_EQ(res.status, TaskStatus::SUCCESS);
  EXPECT_EQ(res.value<int>(), 7);
  EXPECT_EQ(res.attempts, 3);
  EXPECT_EQ(calls.load(), 3);
}

TEST_P(EngineTest, RetriesExhaustedFailWithTheTaskError) {
  Registry r;
  r.add("doomed", []() -> int { throw std::invalid_argument("bad input 17"); });
  start(std::move(r));
  TaskOptions o;
  o.max_retries = 1;
  std::string id = oq().enqueue("doomed", Value::array(), o);
  ASSERT_TRUE(reaches(id, TaskStatus::RETRYING));
  clock_->advance(seconds(10));
  TaskResult res = wait_result(id);
  EXPECT_EQ(res.status, TaskStatus::FAILED);
  EXPECT_FALSE(res.result.has_value());
  ASSERT_TRUE(res.error.has_value());
  EXPECT_EQ(res.error->error_type, "std::invalid_argument");
  EXPECT_EQ(res.error->message, "bad input 17");
  EXPECT_EQ(res.error->retry_count, 1);
  EXPECT_TRUE(res.error->is_retryable);
  EXPECT_EQ(res.attempts, 2);
  EXPECT_EQ(status(id), TaskStatus::FAILED);
}

TEST_P(EngineTest, PermanentErrorIsNotRetried) {
  Registry r;
  r.add("card", []() -> int { throw PermanentError("card declined"); });
  start(std::move(r));
  TaskResult res = wait_result(oq().enqueue("card"));
  EXPECT_EQ(res.status, TaskStatus::FAILED);
  EXPECT_EQ(res.attempts, 1);
  EXPECT_FALSE(res.error->is_retryable);
}

TEST_P(EngineTest, UnknownTaskFailsWithoutRetry) {
  Registry r;
  r.add("known", [] { return 1; });
  start(std::move(r));
  TaskResult res = wait_result(oq().enqueue("nobody.home", {1}));
  EXPECT_EQ(res.status, TaskStatus::FAILED);
  EXPECT_EQ(res.error->error_type, "UnknownTask");
  EXPECT_FALSE(res.error->is_retryable);
  EXPECT_NE(res.error->message.find("nobody.home"), std::string::npos);
  EXPECT_EQ(res.error->message.find("known"), std::string::npos) << "lists no other handlers";
}

TEST_P(EngineTest, ArgumentMismatchFailsWithoutRetry) {
  Registry r;
  r.add("math.add", [](int a, int b) { return a + b; });
  start(std::move(r));
  TaskResult wrong_type = wait_result(oq().enqueue("math.add", {"two", 3}));
  EXPECT_EQ(wrong_type.status, TaskStatus::FAILED);
  EXPECT_EQ(wrong_type.error->error_type, "ArgumentError");
  EXPECT_FALSE(wrong_type.error->is_retryable);
  EXPECT_EQ(wrong_type.attempts, 1);
  TaskResult wrong_count = wait_result(oq().enqueue("math.add", {1}));
  EXPECT_EQ(wrong_count.error->error_type, "ArgumentError");
  EXPECT_NE(wrong_count.error->message.find("takes 2"), std::string::npos);
}

TEST_P(EngineTest, EtaIsNotRunEarly) {
  std::atomic<int> calls{0};
  Registry r;
  r.add("later", [&] { return ++calls; });
  start(std::move(r));
  TaskOptions o;
  o.delay = seconds(30);
  std::string id = oq().enqueue("later", Value::array(), o);
  std::string now_id = oq().enqueue("later");
  wait_result(now_id);  // the pool is demonstrably running
  EXPECT_EQ(status(id), TaskStatus::PENDING);
  EXPECT_EQ(calls.load(), 1);
  clock_->advance(seconds(29));
  std::string probe = oq().enqueue("later");
  wait_result(probe);
  EXPECT_EQ(status(id), TaskStatus::PENDING);
  clock_->advance(seconds(1));
  EXPECT_EQ(wait_result(id).status, TaskStatus::SUCCESS);
}

TEST_P(EngineTest, IntervalTaskRunsRepeatedlyAndStoresEachRun) {
  std::atomic<int> runs{0};
  Registry r;
  r.add("tick", [&] { return ++runs; });
  start(std::move(r));
  TaskOptions o;
  o.interval = minutes(1);
  std::string id = oq().enqueue("tick", Value::array(), o);
  ASSERT_TRUE(eventually([&] { return runs.load() == 1 && status(id) == TaskStatus::PENDING; }));
  EXPECT_EQ(wait_result(id).value<int>(), 1);
  Task t = *oq().get_task(id);
  EXPECT_EQ(*t.schedule.eta, clock_->now() + minutes(1));
  for (int run = 2; run <= 3; ++run) {
    clock_->advance(minutes(1));
    ASSERT_TRUE(eventually([&] {
      auto res = oq().get_result(id);
      return res && res->result == Value(run) && status(id) == TaskStatus::PENDING;
    })) << "run "
        << run;
  }
  // A long downtime gives one run, re-armed from now, not a burst.
  clock_->advance(hours(5));
  ASSERT_TRUE(eventually([&] { return runs.load() == 4 && status(id) == TaskStatus::PENDING; }));
  EXPECT_EQ(*oq().get_task(id)->schedule.eta, clock_->now() + minutes(1));
  EXPECT_EQ(oq().cancel(id), CancelResult::cancelled);
  EXPECT_EQ(status(id), TaskStatus::CANCELLED);
}

TEST_P(EngineTest, EtaInThePastRunsAtOnce) {
  Registry r;
  r.add("job", [] { return 1; });
  start(std::move(r));
  TaskOptions o;
  o.eta = clock_->now() - hours(3);
  EXPECT_EQ(wait_result(oq().enqueue("job", Value::array(), o)).status, TaskStatus::SUCCESS);
}

INSTANTIATE_TEST_SUITE_P(Backends, EngineTest, ::testing::ValuesIn(all_backends()), backend_name);

}  // namespace
}  // namespace omniq::testing
