// AsyncTaskQueue's decisions, checked directly (no worker, no waiting).
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include "engine/engine_fixture.hpp"
#include "event_loop.hpp"

namespace omniq::testing {
namespace {

class QueuePolicy : public ::testing::Test {
 protected:
  QueuePolicy() {
    settings_.retry_backoff_base = seconds(2);
    settings_.retry_backoff_max = seconds(30);
    queue_ = std::make_shared<AsyncTaskQueue>(
        std::make_shared<AsyncStorage>(std::make_shared<MemoryStorage>()), settings_, clock_);
  }

  Task claimed(int max_retries = 3) {
    Task t = make_task("job", Value::array(), {}, settings_, kStart);
    t.max_retries = max_retries;
    transition(t, TaskStatus::RUNNING, kStart);
    return t;
  }
  TaskError boom(bool retryable = true) {
    return TaskError{"E", "boom", kStart, std::nullopt, 0, retryable};
  }

  // Not asio::use_future: its handler starts asio's system_context, whose
  // threads would outlive the test and make the multi-process tests fork a
  // multi-threaded process.
  template <class Awaitable>
  auto run(Awaitable aw) {
    using R = typename Awaitable::value_type;
    asio::io_context ctx;
    std::promise<R> promise;
    std::future<R> f = promise.get_future();
    asio::co_spawn(ctx, std::move(aw), detail::FulfilPromise<R>{&promise});
    ctx.run();
    return f.get();
  }

  Settings settings_;
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>(kStart);
  std::shared_ptr<AsyncTaskQueue> queue_;
};

TEST_F(QueuePolicy, BackoffDoublesAndCapsAtMaxDelay) {
  EXPECT_EQ(queue_->retry_delay(1), seconds(2));
  EXPECT_EQ(queue_->retry_delay(2), seconds(4));
  EXPECT_EQ(queue_->retry_delay(3), seconds(8));
  EXPECT_EQ(queue_->retry_delay(4), seconds(16));
  EXPECT_EQ(queue_->retry_delay(5), seconds(30));
  EXPECT_EQ(queue_->retry_delay(60), seconds(30));
}

TEST_F(QueuePolicy, JitterStaysWithinAQuarterAndUnderTheCap) {
  Duration lo = hours(1), hi{0};
  for (int i = 0; i < 2000; ++i) {
    Duration d = queue_->jittered_retry_delay(2);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
    EXPECT_LE(queue_->jittered_retry_delay(10), seconds(30));
  }
  EXPECT_GE(lo, milliseconds(3000));
  EXPECT_LE(hi, milliseconds(5000));
  EXPECT_LT(lo, milliseconds(3400)) << "jitter should spread low";
  EXPECT_GT(hi, milliseconds(4600)) << "jitter should spread high";
}

TEST_F(QueuePolicy, FailureWithRetriesLeftIsRetryingAfterTheBackoff) {
  Task t = claimed(2);
  Outcome o = queue_->failure_outcome(t, boom(), kStart);
  EXPECT_EQ(o.status, TaskStatus::RETRYING);
  ASSERT_TRUE(o.next_eta && o.error);
  EXPECT_GE(*o.next_eta - kStart, milliseconds(1500));
  EXPECT_LE(*o.next_eta - kStart, milliseconds(2500));
  EXPECT_EQ(o.error->retry_count, 0);
  EXPECT_FALSE(o.result.has_value());
  EXPECT_EQ(o.attempt, t.attempts);

  t.error = o.error;  // the second attempt fails too
  transition(t, TaskStatus::RETRYING, kStart);
  transition(t, TaskStatus::RUNNING, kStart);
  Outcome o2 = queue_->failure_outcome(t, boom(), kStart);
  EXPECT_EQ(o2.status, TaskStatus::RETRYING);
  EXPECT_EQ(o2.error->retry_count, 1);
  EXPECT_GE(*o2.next_eta - kStart, milliseconds(3000));

  t.error = o2.error;  // the third (last allowed) fails
  transition(t, TaskStatus::RETRYING, kStart);
  transition(t, TaskStatus::RUNNING, kStart);
  Outcome o3 = queue_->failure_outcome(t, boom(), kStart);
  EXPECT_EQ(o3.status, TaskStatus::FAILED);
  ASSERT_TRUE(o3.result.has_value());
  EXPECT_EQ(o3.result->status, TaskStatus::FAILED);
  EXPECT_EQ(o3.result->error->retry_count, 2);
  EXPECT_EQ(o3.result->attempts, 3);
}

TEST_F(QueuePolicy, NonRetryableFailureFailsAtOnce) {
  Outcome o = queue_->failure_outcome(claimed(5), boom(false), kStart);
  EXPECT_EQ(o.status, TaskStatus::FAILED);
  EXPECT_FALSE(o.next_eta.has_value());
}

TEST_F(QueuePolicy, ZeroRetriesMeansOneAttempt) {
  EXPECT_EQ(queue_->failure_outcome(claimed(0), boom(), kStart).status, TaskStatus::FAILED);
}

TEST_F(QueuePolicy, IntervalTaskIsRearmedFromTheFinishOnSuccessAndOnFinalFailure) {
  Task t = claimed(0);
  t.schedule.interval = minutes(10);
  Outcome ok = queue_->success_outcome(t, Value(1), kStart + seconds(7));
  EXPECT_EQ(ok.status, TaskStatus::PENDING);
  EXPECT_EQ(ok.next_eta, kStart + seconds(7) + minutes(10));
  EXPECT_EQ(ok.result->status, TaskStatus::SUCCESS);
  Outcome failed = queue_->failure_outcome(t, boom(), kStart + seconds(9));
  EXPECT_EQ(failed.status, TaskStatus::PENDING);
  EXPECT_EQ(failed.next_eta, kStart + seconds(9) + minutes(10));
  EXPECT_EQ(failed.result->status, TaskStatus::FAILED);
}

TEST_F(QueuePolicy, SuccessStoresTheValueWithTheAttempt) {
  Task t = claimed();
  Outcome o = queue_->success_outcome(t, Value{{"k", 1}}, kStart + seconds(1));
  EXPECT_EQ(o.status, TaskStatus::SUCCESS);
  EXPECT_EQ(o.result->result, (Value{{"k", 1}}));
  EXPECT_EQ(o.result->finished_at, kStart + seconds(1));
  EXPECT_EQ(o.result->attempts, 1);
  EXPECT_EQ(o.result->last_attempt_at, kStart);
}

TEST_F(QueuePolicy, EnqueueRejectsTasksLargerThanTheLimitWithoutEncodingThemWhole) {
  settings_.max_task_bytes = 1000;
  queue_ = std::make_shared<AsyncTaskQueue>(
      std::make_shared<AsyncStorage>(std::make_shared<MemoryStorage>()), settings_, clock_);
  std::string ok_name = "job", big_name = "job";
  Value small = Value::array({std::string(500, 'x')});
  Value big = Value::array({std::string(5000, 'x')});
  EXPECT_NO_THROW(run(queue_->enqueue(ok_name, small, TaskOptions{})));
  try {
    run(queue_->enqueue(big_name, big, TaskOptions{}));
    FAIL() << "accepted a 5 kB task with a 1000-byte limit";
  } catch (const ValidationError& e) {
    EXPECT_NE(std::string(e.what()).find("1000"), std::string::npos) << e.what();
  }
  std::vector<Task> batch{make_task("job", big, {}, settings_, kStart)};
  EXPECT_THROW(run(queue_->enqueue_many(batch)), ValidationError);
  EXPECT_EQ(run(queue_->stats()).total(), 1u);
}

TEST_F(QueuePolicy, EnqueueRejectsInvalidTasksBeforeStoringAnything) {
  std::string empty;
  EXPECT_THROW(run(queue_->enqueue(empty, Value::array(), TaskOptions{})), ValidationError);
  std::string name = "job";
  EXPECT_THROW(run(queue_->enqueue(name, Value{{"not", "array"}}, TaskOptions{})), ValidationError);
  TaskOptions negative;
  negative.max_retries = -1;
  EXPECT_THROW(run(queue_->enqueue(name, Value::array(), negative)), ValidationError);
  EXPECT_EQ(run(queue_->stats()).total(), 0u);
}

}  // namespace
}  // namespace omniq::testing
