// Regression: when a lease expired, the store itself chose RETRYING or FAILED
// and ignored `interval` and the backoff, so a periodic task whose worker
// died on its last retry ended FAILED for good. Now the engine's one policy
// decides: the backoff applies and a repeating task is re-armed.
#include "engine/engine_fixture.hpp"

#include "support/store_calls.hpp"

namespace omniq::testing {
namespace {

using LostWorkerPolicy = EngineTest;

// A worker claims the task and dies (its lease is never renewed).
Task claimed_by_a_dead_worker(OmniQ& oq, Timestamp now) {
  auto claimed = claim(*oq.storage(), now, 1, seconds(30));
  if (claimed.size() != 1) throw std::runtime_error("nothing claimed");
  return claimed.front();
}

TEST_P(LostWorkerPolicy, AnIntervalTaskLostOnItsLastRetryIsRearmedForItsNextRun) {
  std::string id =
      oq().enqueue("tick", Value::array(), {.interval = minutes(10), .max_retries = 0});
  claimed_by_a_dead_worker(oq(), clock_->now());
  Timestamp later = clock_->now() + minutes(1);
  ASSERT_EQ(recover_at(later), 1u);
  Task t = *oq().get_task(id);
  EXPECT_EQ(t.status, TaskStatus::PENDING);
  EXPECT_EQ(t.schedule.eta, later + minutes(10));
  EXPECT_FALSE(t.error.has_value());  // the next run gets a fresh retry budget
  TaskResult r = *oq().get_result(id);
  EXPECT_EQ(r.status, TaskStatus::FAILED);
  EXPECT_EQ(r.error->error_type, "WorkerLost");
}

TEST_P(LostWorkerPolicy, ALostAttemptWaitsForTheBackoffLikeAFailure) {
  std::string id = oq().enqueue("job", Value::array(), {.max_retries = 3});
  claimed_by_a_dead_worker(oq(), clock_->now());
  Timestamp later = clock_->now() + minutes(1);
  ASSERT_EQ(recover_at(later), 1u);
  Task t = *oq().get_task(id);
  EXPECT_EQ(t.status, TaskStatus::RETRYING);
  EXPECT_EQ(t.error->error_type, "WorkerLost");
  // settings_.retry_backoff_base is 1 s, +/-25 % jitter: not "due at once".
  EXPECT_GE(*t.schedule.eta - later, milliseconds(750));
  EXPECT_LE(*t.schedule.eta - later, milliseconds(1250));
  EXPECT_EQ(recover_at(later + hours(1)), 0u);  // recovered once only
}

INSTANTIATE_TEST_SUITE_P(Backends, LostWorkerPolicy, ::testing::ValuesIn(all_backends()),
                         backend_name);

}  // namespace
}  // namespace omniq::testing
