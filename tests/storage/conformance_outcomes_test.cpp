// Conformance: outcomes, the lost-lease race, cancel, reschedule, queries,
// purge and error cases.
#include "storage/conformance.hpp"

namespace omniq::testing {
namespace {

TaskResult success(const Task& claimed, Value v, Timestamp at) {
  return TaskResult{claimed.id, TaskStatus::SUCCESS, std::move(v),           std::nullopt,
                    at,         claimed.attempts,    claimed.last_attempt_at};
}

TaskError failure(const Task&, Timestamp at, int retry_count = 0) {
  return TaskError{"std::runtime_error", "boom", at, std::nullopt, retry_count, true};
}

TEST_P(StorageConformance, MarkDoneStoresTheResult) {
  Task t = make();
  put(t);
  Task c = claim_one(kT0);
  EXPECT_TRUE(store().mark_done(t.id, success(c, Value{{"sum", 3}}, kT0 + seconds(1))));
  Task done = get(t.id);
  EXPECT_EQ(done.status, TaskStatus::SUCCESS);
  EXPECT_EQ(done.updated_at, kT0 + seconds(1));
  EXPECT_FALSE(done.lease_expires_at.has_value());
  auto r = store().get_result(t.id);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, success(c, Value{{"sum", 3}}, kT0 + seconds(1)));
}

TEST_P(StorageConformance, NullResultIsStoredAsNull) {
  Task t = make();
  put(t);
  Task c = claim_one(kT0);
  ASSERT_TRUE(store().mark_done(t.id, success(c, Value(nullptr), kT0)));
  auto r = store().get_result(t.id);
  ASSERT_TRUE(r && r->result.has_value());
  EXPECT_TRUE(r->result->is_null());
}

TEST_P(StorageConformance, MarkFailedWithRetryMakesTheTaskRetryingAndDueAgain) {
  Task t = make();
  put(t);
  Task c = claim_one(kT0);
  ASSERT_TRUE(store().mark_failed(t.id, failure(c, kT0 + seconds(1)), true, c.attempts));
  Task r = get(t.id);
  EXPECT_EQ(r.status, TaskStatus::RETRYING);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->message, "boom");
  EXPECT_FALSE(store().get_result(t.id).has_value());
  store().reschedule(t.id, kT0 + seconds(20));
  EXPECT_FALSE(store().dequeue(kT0 + seconds(19), kLease).has_value());
  Task again = claim_one(kT0 + seconds(20));
  EXPECT_EQ(again.attempts, 2);
}

TEST_P(StorageConformance, MarkFailedFinallyStoresTheErrorAsTheResult) {
  Task t = make();
  put(t);
  Task c = claim_one(kT0);
  TaskError e = failure(c, kT0 + seconds(1));
  ASSERT_TRUE(store().mark_failed(t.id, e, false, c.attempts));
  EXPECT_EQ(get(t.id).status, TaskStatus::FAILED);
  auto r = store().get_result(t.id);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, TaskStatus::FAILED);
  EXPECT_EQ(r->error, e);
  EXPECT_FALSE(r->result.has_value());
  EXPECT_FALSE(store().dequeue(kT0 + hours(1), kLease).has_value());
}

TEST_P(StorageConformance, RetryingOutcomeSetsEtaAndErrorAtomically) {
  Task t = make();
  put(t);
  Task c = claim_one(kT0);
  Outcome o = outcome(c, TaskStatus::RETRYING, kT0 + seconds(1));
  o.next_eta = kT0 + seconds(9);
  o.error = failure(c, kT0 + seconds(1));
  ASSERT_TRUE(finish(o));
  Task r = get(t.id);
  EXPECT_EQ(r.status, TaskStatus::RETRYING);
  EXPECT_EQ(r.schedule.eta, kT0 + seconds(9));
  EXPECT_EQ(r.error, o.error);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_FALSE(store().dequeue(kT0 + seconds(8), kLease).has_value());
  EXPECT_EQ(claim_one(kT0 + seconds(9)).attempts, 2);
}

TEST_P(StorageConformance, IntervalRearmStoresTheRunsResultAndWaitsForTheNextRun) {
  Task t = make();
  t.schedule.interval = minutes(1);
  put(t);
  Task c = claim_one(kT0);
  // A failed attempt first, so the re-arm has an error to clear.
  Outcome retry = outcome(c, TaskStatus::RETRYING, kT0);
  retry.next_eta = kT0;
  retry.error = failure(c, kT0);
  ASSERT_TRUE(finish(retry));
  c = claim_one(kT0 + seconds(1));
  Outcome o = outcome(c, TaskStatus::PENDING, kT0 + seconds(2));
  o.next_eta = kT0 + seconds(62);
  o.result = success(c, Value("run 1"), kT0 + seconds(2));
  ASSERT_TRUE(finish(o));
  Task r = get(t.id);
  EXPECT_EQ(r.status, TaskStatus::PENDING);
  EXPECT_EQ(r.schedule.eta, kT0 + seconds(62));
  EXPECT_EQ(r.schedule.interval, minutes(1));
  EXPECT_FALSE(r.error.has_value());
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(store().get_result(t.id)->result, Value("run 1"));
  EXPECT_FALSE(store().dequeue(kT0 + seconds(61), kLease).has_value());
  Task next = claim_one(kT0 + seconds(62));
  o = outcome(next, TaskStatus::PENDING, kT0 + seconds(63));
  o.next_eta = kT0 + seconds(123);
  o.result = success(next, Value("run 2"), kT0 + seconds(63));
  ASSERT_TRUE(finish(o));
  EXPECT_EQ(store().get_result(t.id)->result, Value("run 2"));
}

TEST_P(StorageConformance, OutcomeOfALostLeaseDoesNotOverwriteTheNewerClaim) {
  Task t = make();
  put(t);
  Task first = claim_one(kT0);
  ASSERT_EQ(store().recover_expired(kT0 + kLease + seconds(1)), 1u);
  Task second = claim_one(kT0 + kLease + seconds(1));
  ASSERT_EQ(second.attempts, first.attempts + 1);

  // The first worker comes back late with its outcomes: all refused.
  EXPECT_FALSE(store().mark_done(t.id, success(first, Value("stale"), kT0 + minutes(1))));
  EXPECT_FALSE(store().mark_failed(t.id, failure(first, kT0 + minutes(1)), false, first.attempts));
  Outcome late = outcome(first, TaskStatus::SUCCESS, kT0 + minutes(1));
  late.result = success(first, Value("stale"), kT0 + minutes(1));
  EXPECT_EQ(store().finish_many({&late, 1}), std::vector<bool>{false});
  Task now = get(t.id);
  EXPECT_EQ(now.status, TaskStatus::RUNNING);
  EXPECT_EQ(now.attempts, second.attempts);
  EXPECT_FALSE(store().get_result(t.id).has_value());

  // The current claim still finishes.
  EXPECT_TRUE(store().mark_done(t.id, success(second, Value("fresh"), kT0 + minutes(2))));
  EXPECT_EQ(store().get_result(t.id)->result, Value("fresh"));
}

TEST_P(StorageConformance, OutcomeForAWaitingOrFinishedTaskIsRefused) {
  Task t = make();
  put(t);
  Outcome o;
  o.task_id = t.id;
  o.attempt = 0;
  o.status = TaskStatus::SUCCESS;
  o.at = kT0;
  EXPECT_FALSE(finish(o));  // never claimed
  Task c = claim_one(kT0);
  ASSERT_TRUE(store().mark_done(t.id, success(c, Value(1), kT0)));
  EXPECT_FALSE(store().mark_done(t.id, success(c, Value(2), kT0)));  // already finished
  EXPECT_EQ(store().get_result(t.id)->result, Value(1));
}

TEST_P(StorageConformance, FinishManyAppliesEachCurrentClaim) {
  std::vector<Task> tasks{make("a"), make("b", seconds(1)), make("c", seconds(2))};
  store().enqueue_many(tasks);
  auto claimed = store().dequeue_many(kT0 + seconds(5), 3, kLease);
  ASSERT_EQ(claimed.size(), 3u);
  std::vector<Outcome> outs;
  for (const Task& c : claimed) {
    Outcome o = outcome(c, TaskStatus::SUCCESS, kT0 + seconds(6));
    o.result = success(c, Value(c.func_path), kT0 + seconds(6));
    outs.push_back(o);
  }
  outs[1].attempt = 99;  // not the current claim
  EXPECT_EQ(store().finish_many(outs), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(get(tasks[0].id).status, TaskStatus::SUCCESS);
  EXPECT_EQ(get(tasks[1].id).status, TaskStatus::RUNNING);
  EXPECT_EQ(store().get_result(tasks[2].id)->result, Value("c"));
}

TEST_P(StorageConformance, MalformedOutcomesAreRefusedBeforeAnythingChanges) {
  Task t = make();
  put(t);
  Task c = claim_one(kT0);
  Outcome running = outcome(c, TaskStatus::RUNNING, kT0);
  EXPECT_THROW(finish(running), InvalidTransitionError);
  Outcome no_eta = outcome(c, TaskStatus::RETRYING, kT0);
  EXPECT_THROW(finish(no_eta), ValidationError);
  Outcome bad_id = outcome(c, TaskStatus::SUCCESS, kT0);
  bad_id.task_id = "../../etc/passwd";
  EXPECT_THROW(finish(bad_id), ValidationError);
  EXPECT_EQ(get(t.id).status, TaskStatus::RUNNING);
}

TEST_P(StorageConformance, CancelWaitingTasksRecordsACancelledResult) {
  Task pending = make("p");
  put(pending);
  EXPECT_EQ(store().cancel(pending.id, kT0 + seconds(1)), CancelResult::cancelled);
  EXPECT_EQ(get(pending.id).status, TaskStatus::CANCELLED);
  EXPECT_EQ(get(pending.id).updated_at, kT0 + seconds(1));
  auto r = store().get_result(pending.id);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, TaskStatus::CANCELLED);
  EXPECT_EQ(r->finished_at, kT0 + seconds(1));

  Task retrying = make("r", seconds(1));
  put(retrying);
  Task c = claim_one(kT0 + seconds(1));
  ASSERT_TRUE(store().mark_failed(c.id, failure(c, kT0 + seconds(2)), true, c.attempts));
  EXPECT_EQ(store().cancel(retrying.id, kT0 + seconds(3)), CancelResult::cancelled);
  EXPECT_EQ(get(retrying.id).status, TaskStatus::CANCELLED);
  EXPECT_EQ(store().cancel(retrying.id, kT0 + seconds(4)), CancelResult::already_finished);
  EXPECT_FALSE(store().dequeue(kT0 + hours(1), kLease).has_value());
}

TEST_P(StorageConformance, CancelRunningTaskIsARequestTheWorkerFinishes) {
  Task t = make();
  put(t);
  Task c = claim_one(kT0);
  EXPECT_EQ(store().cancel(t.id, kT0 + seconds(1)), CancelResult::requested);
  Outcome o = outcome(c, TaskStatus::CANCELLED, kT0 + seconds(2));
  o.result = TaskResult{t.id,
                        TaskStatus::CANCELLED,
                        std::nullopt,
                        TaskError{"Cancelled", "stopped", kT0 + seconds(2), std::nullopt, 0, false},
                        kT0 + seconds(2),
                        1,
                        c.last_attempt_at};
  ASSERT_TRUE(finish(o));
  EXPECT_EQ(get(t.id).status, TaskStatus::CANCELLED);
  EXPECT_EQ(store().get_result(t.id)->status, TaskStatus::CANCELLED);
}

TEST_P(StorageConformance, RescheduleMovesOnlyWaitingTasks) {
  Task t = make();
  put(t);
  store().reschedule(t.id, kT0 + minutes(10));
  EXPECT_EQ(get(t.id).schedule.eta, kT0 + minutes(10));
  EXPECT_FALSE(store().dequeue(kT0 + minutes(9), kLease).has_value());
  claim_one(kT0 + minutes(10));
  EXPECT_THROW(store().reschedule(t.id, kT0), InvalidTransitionError);
  EXPECT_THROW(store().reschedule("missing", kT0), NotFoundError);
}

TEST_P(StorageConformance, UnknownIdsAreNotFoundOrAbsent) {
  EXPECT_FALSE(store().get_task("unknown").has_value());
  EXPECT_FALSE(store().get_result("unknown").has_value());
  EXPECT_THROW(store().cancel("unknown", kT0), NotFoundError);
  EXPECT_THROW(store().reschedule("unknown", kT0), NotFoundError);
  EXPECT_THROW(store().mark_running("unknown", kT0, kLease), NotFoundError);
  EXPECT_FALSE(store().mark_done(
      "unknown", TaskResult{"unknown", TaskStatus::SUCCESS, Value(1), {}, kT0, 1, {}}));
}

TEST_P(StorageConformance, InvalidIdsAreRefusedBeforeTheyReachTheStore) {
  for (std::string bad : {std::string("../escape"), std::string("a/b"), std::string("x\0y", 3),
                          std::string(10240, 'a'), std::string("\xc3\xa9t\xc3\xa9"),
                          std::string("'; DELETE FROM tasks; --")}) {
    EXPECT_THROW(store().get_task(bad), ValidationError);
    EXPECT_THROW(store().get_result(bad), ValidationError);
    EXPECT_THROW(store().cancel(bad, kT0), ValidationError);
    EXPECT_THROW(store().reschedule(bad, kT0), ValidationError);
    EXPECT_THROW(store().mark_running(bad, kT0, kLease), ValidationError);
    Task t = make();
    t.id = bad;
    EXPECT_THROW(store().enqueue(t), ValidationError);
  }
  EXPECT_EQ(store().stats().total(), 0u);
}

TEST_P(StorageConformance, ListTasksFiltersPagesAndKeepsEnqueueOrder) {
  std::vector<Task> tasks;
  for (int i = 0; i < 6; ++i) tasks.push_back(make(i % 2 ? "odd" : "even", seconds(i)));
  store().enqueue_many(tasks);
  Task c = claim_one(kT0 + minutes(1));  // tasks[0] RUNNING
  ASSERT_EQ(c.id, tasks[0].id);

  auto all = store().list_tasks({});
  ASSERT_EQ(all.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(all[i].id, tasks[i].id);

  TaskFilter odd;
  odd.func_path = "odd";
  auto odds = store().list_tasks(odd);
  ASSERT_EQ(odds.size(), 3u);
  EXPECT_EQ(odds[0].id, tasks[1].id);

  TaskFilter running;
  running.status = TaskStatus::RUNNING;
  auto r = store().list_tasks(running);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].id, tasks[0].id);

  TaskFilter page;
  page.limit = 2;
  page.offset = 3;
  auto p = store().list_tasks(page);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].id, tasks[3].id);
  EXPECT_EQ(p[1].id, tasks[4].id);

  TaskFilter both;
  both.func_path = "even";
  both.status = TaskStatus::PENDING;
  EXPECT_EQ(store().list_tasks(both).size(), 2u);
}

TEST_P(StorageConformance, StatsCountEveryStatusAndTheOldestWaitingTask) {
  std::vector<Task> tasks;
  for (int i = 0; i < 5; ++i) tasks.push_back(make("s", seconds(i)));
  store().enqueue_many(tasks);
  Task a = claim_one(kT0 + minutes(1));
  Task b = claim_one(kT0 + minutes(1));
  Task c = claim_one(kT0 + minutes(1));
  store().mark_done(a.id, success(a, Value(1), kT0 + minutes(1)));
  store().mark_failed(b.id, failure(b, kT0 + minutes(1)), true, b.attempts);
  store().cancel(tasks[4].id, kT0 + minutes(1));
  QueueStats s = store().stats();
  EXPECT_EQ(s.count(TaskStatus::SUCCESS), 1u);
  EXPECT_EQ(s.count(TaskStatus::RETRYING), 1u);
  EXPECT_EQ(s.count(TaskStatus::RUNNING), 1u);
  EXPECT_EQ(s.count(TaskStatus::PENDING), 1u);
  EXPECT_EQ(s.count(TaskStatus::CANCELLED), 1u);
  EXPECT_EQ(s.count(TaskStatus::FAILED), 0u);
  EXPECT_EQ(s.total(), 5u);
  EXPECT_EQ(s.oldest_pending, tasks[1].created_at);  // b (RETRYING) is the oldest waiting
  (void)c;
}

TEST_P(StorageConformance, PurgeDeletesOldResultsAndFinishedTasksOnly) {
  std::vector<Task> tasks;
  for (int i = 0; i < 4; ++i) tasks.push_back(make("p", seconds(i)));
  store().enqueue_many(tasks);
  Task old1 = claim_one(kT0 + minutes(1));
  Task old2 = claim_one(kT0 + minutes(1));
  Task fresh = claim_one(kT0 + minutes(1));
  store().mark_done(old1.id, success(old1, Value(1), kT0 + minutes(1)));
  store().mark_failed(old2.id, failure(old2, kT0 + minutes(2)), false, old2.attempts);
  store().mark_done(fresh.id, success(fresh, Value(3), kT0 + hours(2)));
  // tasks[3] is still PENDING.
  EXPECT_EQ(store().purge_results(kT0 + hours(1)), 2u);
  EXPECT_FALSE(store().get_result(old1.id).has_value());
  EXPECT_FALSE(store().get_result(old2.id).has_value());
  EXPECT_FALSE(store().get_task(old1.id).has_value());
  EXPECT_TRUE(store().get_result(fresh.id).has_value());
  EXPECT_TRUE(store().get_task(fresh.id).has_value());
  EXPECT_EQ(get(tasks[3].id).status, TaskStatus::PENDING);
  EXPECT_EQ(store().purge_results(kT0 + hours(1)), 0u);
}

TEST_P(StorageConformance, ChangeCounterMovesWhenWorkIsAdded) {
  auto before = store().change_counter();
  put(make());
  EXPECT_NE(store().change_counter(), before);
}

TEST_P(StorageConformance, ClosedStoreRefusesFurtherCalls) {
  put(make());
  store().close();
  EXPECT_THROW(store().stats(), StorageError);
  EXPECT_THROW(store().enqueue(make()), StorageError);
  store_.reset();
}

}  // namespace
}  // namespace omniq::testing
