// The policy's decisions, checked directly (no store, no worker, no waiting),
// and the queue's checks on new tasks.
#include "engine/policy.hpp"
#include "base/task_rules.hpp"
#include "engine/engine_fixture.hpp"
#include "engine/task_queue.hpp"
#include "storage/memory/memory_storage.hpp"

namespace omniq::testing {
namespace {

using Kind = Happening::Kind;

class Policy : public ::testing::Test {
 protected:
  Policy() {
    settings_.retry_backoff_base = seconds(2);
    settings_.retry_backoff_max = seconds(30);
  }

  Task claimed(int max_retries = 3) {
    Task t = make_task("job", Value::array(), {}, settings_, kStart);
    t.max_retries = max_retries;
    transition(t, TaskStatus::RUNNING, kStart);
    return t;
  }
  static Happening failure(bool retryable = true) {
    return {Kind::failed, {}, TaskError::make("E", "boom", kStart, retryable)};
  }
  Outcome decide(const Task& t, Happening h, Timestamp at = kStart, double jitter = 1.0) {
    return omniq::decide(t, std::move(h), at, settings_, jitter);
  }
  // The claimed task after the outcome and a new claim.
  static Task again(Task t, const Outcome& o) {
    t.error = o.error;
    t.status = o.status;
    transition(t, TaskStatus::RUNNING, kStart);
    return t;
  }

  Settings settings_;
};

TEST_F(Policy, BackoffDoublesAndCapsAtMaxDelay) {
  EXPECT_EQ(retry_delay(1, settings_), seconds(2));
  EXPECT_EQ(retry_delay(2, settings_), seconds(4));
  EXPECT_EQ(retry_delay(3, settings_), seconds(8));
  EXPECT_EQ(retry_delay(4, settings_), seconds(16));
  EXPECT_EQ(retry_delay(5, settings_), seconds(30));
  EXPECT_EQ(retry_delay(60, settings_), seconds(30));
}

TEST_F(Policy, JitterScalesTheBackoffAndStaysUnderTheCap) {
  EXPECT_EQ(*decide(claimed(), failure(), kStart, 0.75).next_eta - kStart, milliseconds(1500));
  EXPECT_EQ(*decide(claimed(), failure(), kStart, 1.25).next_eta - kStart, milliseconds(2500));
  Task late = claimed(20);
  late.error = TaskError::make("E", "boom", kStart);
  late.error->retry_count = 9;  // retry 11: 2s * 2^10 is far past the cap
  EXPECT_EQ(*decide(late, failure(), kStart, 1.25).next_eta - kStart, seconds(30));
}

TEST_F(Policy, FailureWithRetriesLeftIsRetryingAfterTheBackoff) {
  Task t = claimed(2);
  Outcome o = decide(t, failure());
  EXPECT_EQ(o.status, TaskStatus::RETRYING);
  EXPECT_EQ(o.next_eta, kStart + seconds(2));
  ASSERT_TRUE(o.error.has_value());
  EXPECT_EQ(o.error->retry_count, 0);
  EXPECT_FALSE(o.result.has_value());
  EXPECT_EQ(o.attempt, t.attempts);

  t = again(t, o);  // the second attempt fails too
  Outcome o2 = decide(t, failure());
  EXPECT_EQ(o2.status, TaskStatus::RETRYING);
  EXPECT_EQ(o2.error->retry_count, 1);
  EXPECT_EQ(o2.next_eta, kStart + seconds(4));

  t = again(t, o2);  // the third (last allowed) fails
  Outcome o3 = decide(t, failure());
  EXPECT_EQ(o3.status, TaskStatus::FAILED);
  ASSERT_TRUE(o3.result.has_value());
  EXPECT_EQ(o3.result->status, TaskStatus::FAILED);
  EXPECT_EQ(o3.result->error->retry_count, 2);
  EXPECT_EQ(o3.result->attempts, 3);
  EXPECT_EQ(o3.error, o3.result->error);
}

TEST_F(Policy, NonRetryableFailureFailsAtOnce) {
  Outcome o = decide(claimed(5), failure(false));
  EXPECT_EQ(o.status, TaskStatus::FAILED);
  EXPECT_FALSE(o.next_eta.has_value());
}

TEST_F(Policy, ZeroRetriesMeansOneAttempt) {
  EXPECT_EQ(decide(claimed(0), failure()).status, TaskStatus::FAILED);
}

TEST_F(Policy, TimeoutIsARetryableTimeoutError) {
  Task t = claimed(1);
  t.timeout = milliseconds(1500);
  Outcome o = decide(t, {Kind::timed_out});
  EXPECT_EQ(o.status, TaskStatus::RETRYING);
  EXPECT_EQ(o.error->error_type, "TimeoutError");
  EXPECT_NE(o.error->message.find("1500ms"), std::string::npos) << o.error->message;
}

TEST_F(Policy, ALostWorkerGoesThroughTheSamePolicyAsAFailure) {
  Task t = claimed(1);
  Outcome o = decide(t, {Kind::worker_lost});
  EXPECT_TRUE(o.lease_expired);
  EXPECT_EQ(o.status, TaskStatus::RETRYING);
  EXPECT_EQ(o.next_eta, kStart + seconds(2));  // backoff, not "due now"
  EXPECT_EQ(o.error->error_type, "WorkerLost");
  Outcome last = decide(again(t, o), {Kind::worker_lost});
  EXPECT_EQ(last.status, TaskStatus::FAILED);
  EXPECT_EQ(last.result->error->error_type, "WorkerLost");
  EXPECT_FALSE(last.error->is_retryable && last.status == TaskStatus::RETRYING);
}

TEST_F(Policy, ALostWorkerOfAnIntervalTaskOnItsLastRetryIsRearmed) {
  Task t = claimed(0);
  t.schedule.interval = minutes(10);
  Outcome o = decide(t, {Kind::worker_lost}, kStart + seconds(5));
  EXPECT_EQ(o.status, TaskStatus::PENDING);
  EXPECT_EQ(o.next_eta, kStart + seconds(5) + minutes(10));
  EXPECT_EQ(o.result->status, TaskStatus::FAILED);
  EXPECT_FALSE(o.error.has_value());  // a fresh retry budget for the next run
  EXPECT_TRUE(o.lease_expired);
}

TEST_F(Policy, IntervalTaskIsRearmedFromTheFinishOnSuccessAndOnFinalFailure) {
  Task t = claimed(0);
  t.schedule.interval = minutes(10);
  Outcome ok = decide(t, {Kind::succeeded, Value(1)}, kStart + seconds(7));
  EXPECT_EQ(ok.status, TaskStatus::PENDING);
  EXPECT_EQ(ok.next_eta, kStart + seconds(7) + minutes(10));
  EXPECT_EQ(ok.result->status, TaskStatus::SUCCESS);
  EXPECT_EQ(ok.result->result, Value(1));
  Outcome failed = decide(t, failure(), kStart + seconds(9));
  EXPECT_EQ(failed.status, TaskStatus::PENDING);
  EXPECT_EQ(failed.next_eta, kStart + seconds(9) + minutes(10));
  EXPECT_EQ(failed.result->status, TaskStatus::FAILED);
}

TEST_F(Policy, CronTaskIsRearmedAtItsNextFireTimeOnceAfterDowntime) {
  Task t = claimed(0);
  t.schedule.cron = "*/15 * * * *";
  // Finished hours after its slot: the next run is the next slot, not the missed ones.
  Timestamp finished = kStart + hours(3) + minutes(7);
  Outcome o = decide(t, {Kind::succeeded, Value(1)}, finished);
  EXPECT_EQ(o.status, TaskStatus::PENDING);
  EXPECT_EQ(o.next_eta, kStart + hours(3) + minutes(15));
}

TEST_F(Policy, SuccessStoresTheValueWithTheAttempt) {
  Task t = claimed();
  Outcome o = decide(t, {Kind::succeeded, Value{{"k", 1}}}, kStart + seconds(1));
  EXPECT_EQ(o.status, TaskStatus::SUCCESS);
  EXPECT_EQ(o.result->result, (Value{{"k", 1}}));
  EXPECT_EQ(o.result->finished_at, kStart + seconds(1));
  EXPECT_EQ(o.result->attempts, 1);
  EXPECT_EQ(o.result->last_attempt_at, kStart);
}

TEST_F(Policy, ACancelRequestWinsOverEveryOtherOutcome) {
  Task t = claimed(3);
  t.schedule.interval = minutes(1);
  t.cancel_requested = true;
  for (Happening h : {Happening{Kind::succeeded, Value(1)}, failure(), Happening{Kind::timed_out},
                      Happening{Kind::worker_lost}, Happening{Kind::released}}) {
    Outcome o = decide(t, h);
    EXPECT_EQ(o.status, TaskStatus::CANCELLED);
    EXPECT_EQ(o.result->status, TaskStatus::CANCELLED);
    EXPECT_EQ(o.error->error_type, "Cancelled");
    EXPECT_FALSE(o.next_eta.has_value());
  }
}

TEST_F(Policy, AClaimGivenBackWaitsAgainAsItWas) {
  Task t = claimed(3);
  t.schedule.eta = kStart - seconds(5);
  Outcome o = decide(t, {Kind::released}, kStart + seconds(1));
  EXPECT_EQ(o.status, TaskStatus::PENDING);
  EXPECT_EQ(o.next_eta, kStart - seconds(5));
  t.error = TaskError::make("E", "boom", kStart);
  EXPECT_EQ(decide(t, {Kind::released}).status, TaskStatus::RETRYING);
  EXPECT_EQ(decide(t, {Kind::released}).error, t.error);
}

TEST_F(Policy, UnderCompatOriginalARetryIsWrittenPendingWithItsError) {
  settings_.compat = Compat::original;
  Task t = claimed(2);
  Outcome o = decide(t, failure());
  EXPECT_EQ(o.status, TaskStatus::PENDING);
  EXPECT_EQ(o.next_eta, kStart + seconds(2));
  EXPECT_EQ(o.error->message, "boom");
  t.error = TaskError::make("E", "boom", kStart);
  EXPECT_EQ(decide(t, {Kind::released}).status, TaskStatus::PENDING);
}

class QueueChecks : public ::testing::Test {
 protected:
  std::unique_ptr<detail::TaskQueue> queue(Settings s) {
    return std::make_unique<detail::TaskQueue>(std::make_shared<MemoryStorage>(), s,
                                               std::make_shared<ManualClock>(kStart));
  }
};

TEST_F(QueueChecks, EnqueueRejectsTasksLargerThanTheLimit) {
  Settings s;
  s.max_task_bytes = 1000;
  auto q = queue(s);
  Value small = Value::array({std::string(500, 'x')});
  Value big = Value::array({std::string(5000, 'x')});
  EXPECT_NO_THROW(q->enqueue({q->make_task("job", small, {})}));
  try {
    q->enqueue({q->make_task("job", big, {})});
    FAIL() << "accepted a 5 kB task with a 1000-byte limit";
  } catch (const ValidationError& e) {
    EXPECT_NE(std::string(e.what()).find("1000"), std::string::npos) << e.what();
  }
  EXPECT_THROW(q->enqueue({q->make_task("job", small, {}), q->make_task("job", big, {})}),
               ValidationError);
  EXPECT_EQ(q->stats().total(), 1u);
}

TEST_F(QueueChecks, BadTaskOptionsAreValidationErrorsThatNameTheProblem) {
  auto q = queue(Settings{});
  auto message = [&](TaskOptions o) -> std::string {
    try {
      q->make_task("job", Value::array(), o);
    } catch (const ValidationError& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_NE(message({.max_retries = -1}).find("max_retries"), std::string::npos);
  EXPECT_NE(message({.interval = minutes(1), .cron = "* * * * *"}).find("not both"),
            std::string::npos);
  EXPECT_NE(message({.cron = "61 * * * *"}).find("minute"), std::string::npos);
  EXPECT_NE(message({.cron = "0 3 * * *", .timezone = "Mars/Olympus"}).find("Mars/Olympus"),
            std::string::npos);
  EXPECT_NE(message({.queue = "no spaces"}).find("queue"), std::string::npos);
  TaskOptions unique;
  unique.unique_key = "k";
  unique.unique_statuses = {TaskStatus::PENDING};
  EXPECT_NE(message(unique).find("RUNNING"), std::string::npos);
  EXPECT_EQ(q->stats().total(), 0u);
}

TEST_F(QueueChecks, ACronTaskIsFirstDueAtItsNextFireTime) {
  auto q = queue(Settings{});
  Task t =
      q->make_task("report", Value::array(), {.cron = "0 3 * * *", .timezone = "Europe/Berlin"});
  // kStart is 2026-11-26 06:00 UTC = 07:00 in Berlin: next 03:00 Berlin is 02:00 UTC the next day.
  EXPECT_EQ(t.schedule.eta, sys_days{2026y / November / 27} + 2h);
}

TEST_F(QueueChecks, AUniquePeriodScopesTheKeyToItsWindow) {
  auto q = queue(Settings{});
  TaskOptions o;
  o.unique_key = "digest";
  o.unique_period = hours(1);
  Task t = q->make_task("mail", Value::array(), o);
  auto window = kStart.time_since_epoch() / hours(1);
  EXPECT_EQ(t.unique_key, "digest@" + std::to_string(window));
  EXPECT_EQ(t.unique_statuses, 0x13);
}

}  // namespace
}  // namespace omniq::testing
