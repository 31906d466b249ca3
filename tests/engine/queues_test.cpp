// Named queues with their own concurrency, priorities, unique tasks, pausing
// and cron schedules, through OmniQ and a WorkerPool, on every backend.
#include <condition_variable>
#include <mutex>

#include "engine/engine_fixture.hpp"
#include "support/gate.hpp"

namespace omniq::testing {
namespace {

using Queues = EngineTest;

TEST_P(Queues, ASlowQueueNeverHoldsAnotherQueuesSlots) {
  Gate gate;
  std::atomic<int> slow_running{0};
  Registry r;
  r.add("mail.send", [&] {
    ++slow_running;
    gate.wait();
    return 0;
  });
  r.add("work", [](int i) { return i; });
  WorkerOptions o = fast_options();
  o.queues = {{"default", 4}, {"mail", 2}};
  start(std::move(r), o);
  for (int i = 0; i < 20; ++i) oq().enqueue("mail.send", Value::array(), {.queue = "mail"});
  ASSERT_TRUE(eventually([&] { return slow_running.load() == 2; }));
  // Every mail slot is stuck; the default queue still drains, all of it.
  std::vector<std::string> ids;
  for (int i = 0; i < 200; ++i) ids.push_back(oq().enqueue("work", {i}));
  for (int i = 0; i < 200; ++i) EXPECT_EQ(wait_result(ids[i]).value<int>(), i);
  EXPECT_EQ(slow_running.load(), 2);  // and mail never took more than its 2 slots
  QueueStats s = oq().stats();
  EXPECT_EQ(s.queues["mail"][static_cast<std::size_t>(TaskStatus::RUNNING)], 2u);
  EXPECT_EQ(s.queues["mail"][static_cast<std::size_t>(TaskStatus::PENDING)], 18u);
  gate.open();
  ASSERT_TRUE(eventually([&] { return oq().stats().queues["mail"][2] == 20; }));
}

TEST_P(Queues, ATaskDefCallIsEnqueuedWithItsArgumentsAndOptions) {
  const TaskDef<int(int, int)> add{"math.add"};
  Registry r;
  r.add(add, [](int a, int b) { return a + b; });
  start(std::move(r), fast_options());
  std::string id = oq().enqueue(add(2, 3), {.max_retries = 7});
  EXPECT_EQ(wait_result(id).value<int>(), 5);
  std::optional<Task> t = oq().get_task(id);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->func_path, "math.add");
  EXPECT_EQ(t->args, Value::array({2, 3}));
  EXPECT_EQ(t->max_retries, 7);
}

TEST_P(Queues, LowerPriorityRunsFirst) {
  std::mutex mu;
  std::vector<int> order;
  Registry r;
  r.add("step", [&](int p) {
    std::lock_guard lock(mu);
    order.push_back(p);
  });
  for (int p : {3, -2, 0, 7, -9, 0}) oq().enqueue("step", {p}, {.priority = p});
  start(std::move(r), fast_options(1));
  ASSERT_TRUE(eventually([&] { return oq().stats().count(TaskStatus::SUCCESS) == 6; }));
  EXPECT_EQ(order, (std::vector<int>{-9, -2, 0, 0, 3, 7}));
}

TEST_P(Queues, APausedQueueIsNotClaimedUntilResumed) {
  Registry r;
  r.add("mail.send", [] { return 1; });
  r.add("work", [] { return 2; });
  WorkerOptions o = fast_options();
  o.queues = {{"default", 2}, {"mail", 2}};
  oq().pause_queue("mail");
  start(std::move(r), o);
  std::string mail = oq().enqueue("mail.send", Value::array(), {.queue = "mail"});
  wait_result(oq().enqueue("work"));  // the pool runs
  EXPECT_EQ(status(mail), TaskStatus::PENDING);
  EXPECT_EQ(oq().stats().paused, std::vector<std::string>{"mail"});
  oq().resume_queue("mail");
  EXPECT_EQ(wait_result(mail).value<int>(), 1);
  EXPECT_THROW(oq().pause_queue("no spaces allowed"), ValidationError);
}

TEST_P(Queues, AUniqueTaskIsEnqueuedOnceWhileItLives) {
  Registry r;
  r.add("report", [] { return 1; });
  TaskOptions unique{.unique_key = "nightly"};
  Enqueued first = oq().submit("report", Value::array(), unique);
  Enqueued second = oq().submit("report", Value::array(), unique);
  EXPECT_TRUE(first.created);
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.id, first.id);
  EXPECT_EQ(oq().enqueue("report", Value::array(), unique), first.id);
  start(std::move(r));
  wait_result(first.id);
  Enqueued later = oq().submit("report", Value::array(), unique);  // the first one finished
  EXPECT_TRUE(later.created);
  EXPECT_NE(later.id, first.id);
}

TEST_P(Queues, ACronTaskRunsAtEachFireTimeAndOnceAfterDowntime) {
  std::atomic<int> runs{0};
  Registry r;
  r.add("tick", [&] { return ++runs; });
  start(std::move(r));
  // kStart is 06:00 UTC on a Thursday: the first fire is 06:15.
  std::string id = oq().enqueue("tick", Value::array(), {.cron = "*/15 * * * *"});
  EXPECT_EQ(oq().get_task(id)->schedule.eta, kStart + minutes(15));
  clock_->advance(minutes(14));
  wait_result(oq().enqueue("tick"));  // the pool runs; the cron task is not due
  EXPECT_EQ(runs.load(), 1);
  clock_->advance(minutes(1));
  ASSERT_TRUE(eventually([&] {
    auto t = oq().get_task(id);
    return runs.load() == 2 && t->status == TaskStatus::PENDING && t->attempts == 1;
  }));
  EXPECT_EQ(oq().get_task(id)->schedule.eta, kStart + minutes(30));
  // Three hours pass with the worker down: one run, then the next slot.
  clock_->advance(hours(3) + minutes(2));  // 09:17
  ASSERT_TRUE(eventually([&] { return runs.load() == 3 && status(id) == TaskStatus::PENDING; }));
  EXPECT_EQ(oq().get_task(id)->schedule.eta, kStart + hours(3) + minutes(30));
}

INSTANTIATE_TEST_SUITE_P(Backends, Queues, ::testing::ValuesIn(all_backends()), backend_name);

}  // namespace
}  // namespace omniq::testing
