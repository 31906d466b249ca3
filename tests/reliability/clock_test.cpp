// Time across downtime, on the persistent stores with a ManualClock: while no
// worker runs, the clock moves on; when one starts again, an interval task
// runs once (no burst of the runs it missed) and is re-armed from now, a retry
// whose backoff ran out meanwhile runs at once, and an eta in the past jumps
// the queue. (Running-worker cases are in tests/engine/lifecycle_test.cpp.)
#include <mutex>

#include "omniq/omniq.hpp"
#include "reliability/process_util.hpp"
#include "support/backends.hpp"
#include "support/temp_dir.hpp"

namespace omniq::reliability {
namespace {

using namespace std::chrono;
using testing::BackendFactory;

class ClockTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override {
    settings_.log_level = LogLevel::error;
    settings_.retry_backoff_base = minutes(10);
    settings_.retry_backoff_max = minutes(10);
    open();
  }
  // (Re)opens the store and the queue; the worker, if any, is gone.
  void open() {
    pool_.reset();
    oq_.reset();
    oq_ = std::make_unique<OmniQ>(GetParam().open(dir_.path()), settings_, clock_);
  }
  void start(std::size_t concurrency = 4) {
    WorkerOptions o;
    o.concurrency = concurrency;
    o.prefetch = 8;
    o.poll_interval = milliseconds(5);
    pool_ = std::make_unique<WorkerPool>(oq_->worker(registry_, o));
    pool_->start();
  }
  TaskStatus status(const std::string& id) { return oq_->get_task(id)->status; }
  // Waits until a task enqueued now has run: everything due before it was claimed.
  void settle() {
    std::string probe = oq_->enqueue("probe");
    ASSERT_TRUE(oq_->get_result(probe, {.wait = true, .timeout = seconds(30)}).has_value());
  }

  testing::TempDir dir_;
  Settings settings_;
  std::shared_ptr<ManualClock> clock_ =
      std::make_shared<ManualClock>(sys_days{2026y / November / 26} + 6h);
  Registry registry_;
  std::unique_ptr<OmniQ> oq_;
  std::unique_ptr<WorkerPool> pool_;
};

TEST_P(ClockTest, IntervalTaskAfterALongDowntimeRunsOnceAndIsReArmedFromNow) {
  std::atomic<int> runs{0};
  registry_.add("tick", [&] { return ++runs; });
  registry_.add("probe", [] { return 0; });
  start();
  TaskOptions o;
  o.interval = minutes(1);
  std::string id = oq_->enqueue("tick", Value::array(), o);
  ASSERT_TRUE(wait_until([&] { return runs == 1 && status(id) == TaskStatus::PENDING; }));

  open();                      // the worker and the queue go away...
  clock_->advance(hours(10));  // ...for 600 intervals
  start();
  ASSERT_TRUE(wait_until([&] { return runs == 2 && status(id) == TaskStatus::PENDING; }));
  settle();
  EXPECT_EQ(runs.load(), 2) << "missed runs were made up in a burst";
  Task t = *oq_->get_task(id);
  EXPECT_EQ(t.status, TaskStatus::PENDING);
  EXPECT_EQ(*t.schedule.eta, clock_->now() + minutes(1));  // from now, not from the last eta
  EXPECT_EQ(oq_->get_result(id)->value<int>(), 2);

  clock_->advance(minutes(1));
  ASSERT_TRUE(wait_until([&] { return runs == 3 && status(id) == TaskStatus::PENDING; }));
}

TEST_P(ClockTest, RetryDueDuringDowntimeAndPastEtaRunAtOnceAfterARestart) {
  std::atomic<int> attempts{0};
  registry_.add("flaky", [&]() -> int {
    if (++attempts == 1) throw std::runtime_error("first attempt fails");
    return attempts;
  });
  registry_.add("probe", [] { return 0; });
  registry_.add("job", [] { return 1; });
  start();
  TaskOptions retry;
  retry.max_retries = 3;
  std::string flaky = oq_->enqueue("flaky", Value::array(), retry);
  ASSERT_TRUE(wait_until([&] { return status(flaky) == TaskStatus::RETRYING; }));
  settle();
  EXPECT_EQ(status(flaky), TaskStatus::RETRYING);  // its backoff is ~10 minutes

  open();
  TaskOptions past, future;
  past.eta = clock_->now() - hours(3);
  future.eta = clock_->now() + hours(3);
  std::string late = oq_->enqueue("job", Value::array(), past);
  std::string early = oq_->enqueue("job", Value::array(), future);
  clock_->advance(hours(1));
  start();
  EXPECT_EQ(oq_->get_result(flaky, {.wait = true, .timeout = seconds(30)})->value<int>(), 2);
  EXPECT_EQ(oq_->get_result(late, {.wait = true, .timeout = seconds(30)})->status,
            TaskStatus::SUCCESS);
  settle();
  EXPECT_EQ(status(early), TaskStatus::PENDING);
}

TEST_P(ClockTest, EtaInThePastIsClaimedBeforeTasksEnqueuedEarlier) {
  std::mutex mu;
  std::vector<std::string> order;
  registry_.add("job", [&](TaskContext& ctx) {
    std::lock_guard lock(mu);
    order.push_back(ctx.id());
  });
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(oq_->enqueue("job"));
  TaskOptions past;
  past.eta = clock_->now() - hours(3);
  std::string late = oq_->enqueue("job", Value::array(), past);
  start(1);
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard lock(mu);
    return order.size() == 6;
  }));
  EXPECT_EQ(order.front(), late);
}

// The clock is moved while no worker runs and the store is reopened: only a
// persistent store keeps its tasks over that.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ClockTest);
INSTANTIATE_TEST_SUITE_P(Backends, ClockTest, ::testing::ValuesIn(testing::persistent_backends()),
                         testing::backend_name);

}  // namespace
}  // namespace omniq::reliability
