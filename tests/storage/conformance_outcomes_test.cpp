// Conformance: outcomes, the lost-lease race, cancels, whole writes, queries,
// purge and error cases.
#include "storage/conformance.hpp"

namespace omniq::testing {
namespace {

TEST_P(StorageConformance, SuccessOutcomeStoresTheResult) {
  Task t = make();
  put(t);
  Task c = claim_one(kT0);
  ASSERT_EQ(finish(done(c, Value{{"sum", 3}}, kT0 + seconds(1))), Applied::yes);
  Task r = get(t.id);
  EXPECT_EQ(r.status, TaskStatus::SUCCESS);
  EXPECT_EQ(r.updated_at, kT0 + seconds(1));
  EXPECT_FALSE(r.lease_expires_at.has_value());
  auto res = store().get_result(t.id);
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(*res, result(c, TaskStatus::SUCCESS, kT0 + seconds(1), Value{{"sum", 3}}));
}

TEST_P(StorageConformance, NullResultIsStoredAsNull) {
  Task t = make();
  put(t);
  ASSERT_EQ(finish(done(claim_one(kT0), Value(nullptr), kT0)), Applied::yes);
  auto r = store().get_result(t.id);
  ASSERT_TRUE(r && r->result.has_value());
  EXPECT_TRUE(r->result->is_null());
}

TEST_P(StorageConformance, RetryingOutcomeSetsEtaAndErrorAtomically) {
  Task t = make();
  put(t);
  Task c = claim_one(kT0);
  Outcome o = retrying(c, kT0 + seconds(1), kT0 + seconds(9));
  ASSERT_EQ(finish(o), Applied::yes);
  Task r = get(t.id);
  EXPECT_EQ(r.status, TaskStatus::RETRYING);
  EXPECT_EQ(r.schedule.eta, kT0 + seconds(9));
  EXPECT_EQ(r.error, o.error);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_FALSE(store().get_result(t.id).has_value());
  EXPECT_TRUE(claim(kT0 + seconds(8)).empty());
  EXPECT_EQ(store().next_eta(), kT0 + seconds(9));
  EXPECT_EQ(claim_one(kT0 + seconds(9)).attempts, 2);
}

TEST_P(StorageConformance, FailedOutcomeStoresTheErrorAsTheResult) {
  Task t = make();
  put(t);
  Outcome o = failed(claim_one(kT0), kT0 + seconds(1));
  ASSERT_EQ(finish(o), Applied::yes);
  EXPECT_EQ(get(t.id).status, TaskStatus::FAILED);
  EXPECT_EQ(get(t.id).error, o.error);
  auto r = store().get_result(t.id);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, TaskStatus::FAILED);
  EXPECT_EQ(r->error, o.error);
  EXPECT_FALSE(r->result.has_value());
  EXPECT_TRUE(claim(kT0 + hours(1)).empty());
}

TEST_P(StorageConformance, RearmStoresTheRunsResultAndWaitsForTheNextRun) {
  Task t = make();
  t.schedule.interval = minutes(1);
  put(t);
  // A failed attempt first, so the re-arm has an error to clear.
  ASSERT_EQ(finish(retrying(claim_one(kT0), kT0, kT0)), Applied::yes);
  Task c = claim_one(kT0 + seconds(1));
  Outcome o = done(c, Value("run 1"), kT0 + seconds(2));
  o.status = TaskStatus::PENDING;
  o.next_eta = kT0 + seconds(62);
  ASSERT_EQ(finish(o), Applied::yes);
  Task r = get(t.id);
  EXPECT_EQ(r.status, TaskStatus::PENDING);
  EXPECT_EQ(r.schedule.eta, kT0 + seconds(62));
  EXPECT_EQ(r.schedule.interval, minutes(1));
  EXPECT_FALSE(r.error.has_value());
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(store().get_result(t.id)->result, Value("run 1"));
  EXPECT_TRUE(claim(kT0 + seconds(61)).empty());
  Task next = claim_one(kT0 + seconds(62));
  o = done(next, Value("run 2"), kT0 + seconds(63));
  o.status = TaskStatus::PENDING;
  o.next_eta = kT0 + seconds(123);
  ASSERT_EQ(finish(o), Applied::yes);
  EXPECT_EQ(store().get_result(t.id)->result, Value("run 2"));
}

TEST_P(StorageConformance, OutcomeOfALostLeaseDoesNotOverwriteTheNewerClaim) {
  Task t = make();
  put(t);
  Task first = claim_one(kT0);
  Outcome lost = retrying(first, kT0 + kLease + seconds(1), kT0 + kLease + seconds(1));
  lost.lease_expired = true;
  ASSERT_EQ(finish(lost), Applied::yes);
  Task second = claim_one(kT0 + kLease + seconds(1));
  ASSERT_EQ(second.attempts, first.attempts + 1);

  // The first worker comes back late with its outcomes: all refused.
  EXPECT_EQ(finish(done(first, Value("stale"), kT0 + minutes(1))), Applied::not_current);
  EXPECT_EQ(finish(failed(first, kT0 + minutes(1))), Applied::not_current);
  Task now = get(t.id);
  EXPECT_EQ(now.status, TaskStatus::RUNNING);
  EXPECT_EQ(now.attempts, second.attempts);
  EXPECT_FALSE(store().get_result(t.id).has_value());

  // The current claim still finishes.
  EXPECT_EQ(finish(done(second, Value("fresh"), kT0 + minutes(2))), Applied::yes);
  EXPECT_EQ(store().get_result(t.id)->result, Value("fresh"));
}

TEST_P(StorageConformance, OutcomeForAWaitingOrFinishedTaskIsRefused) {
  Task t = make();
  put(t);
  EXPECT_EQ(finish(outcome(t, TaskStatus::SUCCESS, kT0)), Applied::not_current);  // never claimed
  Task c = claim_one(kT0);
  ASSERT_EQ(finish(done(c, Value(1), kT0)), Applied::yes);
  EXPECT_EQ(finish(done(c, Value(2), kT0)), Applied::not_current);  // already finished
  EXPECT_EQ(store().get_result(t.id)->result, Value(1));
  Task unknown = make("ghost");
  EXPECT_EQ(finish(outcome(unknown, TaskStatus::SUCCESS, kT0)), Applied::not_current);
}

TEST_P(StorageConformance, FinishAppliesEachCurrentClaim) {
  std::vector<Task> tasks{make("a"), make("b", seconds(1)), make("c", seconds(2))};
  enqueue_many(store(), tasks);
  auto claimed = claim(kT0 + seconds(5), 3);
  ASSERT_EQ(claimed.size(), 3u);
  std::vector<Outcome> outs;
  for (const Task& c : claimed) outs.push_back(done(c, Value(c.func_path), kT0 + seconds(6)));
  outs[1].attempt = 99;  // not the current claim
  EXPECT_EQ(omniq::finish(store(), outs),
            (std::vector<Applied>{Applied::yes, Applied::not_current, Applied::yes}));
  EXPECT_EQ(get(tasks[0].id).status, TaskStatus::SUCCESS);
  EXPECT_EQ(get(tasks[1].id).status, TaskStatus::RUNNING);
  EXPECT_EQ(store().get_result(tasks[2].id)->result, Value("c"));
}

TEST_P(StorageConformance, OneWriteEnqueuesRecordsAndClaimsInThatOrder) {
  Task running = make("running");
  put(running);
  Task c = claim_one(kT0);
  Task fresh = make("fresh", seconds(1));
  WriteBatch b;
  b.enqueue = {fresh};
  b.outcomes = {done(c, Value(7), kT0 + seconds(2))};
  b.claims = {{"default", 5}};
  b.now = kT0 + seconds(2);
  b.lease = kLease;
  WriteResult r = store().write(b);
  EXPECT_EQ(r.enqueued, (std::vector<Enqueued>{{fresh.id, true}}));
  EXPECT_EQ(r.applied, std::vector<Applied>{Applied::yes});
  ASSERT_EQ(r.claimed.size(), 1u);  // the task it just enqueued
  EXPECT_EQ(r.claimed[0].id, fresh.id);
  EXPECT_EQ(store().get_result(running.id)->result, Value(7));
}

TEST_P(StorageConformance, AWriteThatFailsChangesNothing) {
  Task a = make("a");
  put(a);
  Task c = claim_one(kT0);
  WriteBatch b;
  b.enqueue = {make("new", seconds(1)), a};  // a exists: the write is refused
  b.outcomes = {done(c, Value(1), kT0 + seconds(1))};
  b.claims = {{"default", 1}};
  b.now = kT0 + seconds(1);
  b.lease = kLease;
  EXPECT_THROW(store().write(b), ValidationError);
  EXPECT_FALSE(store().get_task(b.enqueue[0].id).has_value());
  EXPECT_EQ(get(a.id).status, TaskStatus::RUNNING);
  EXPECT_FALSE(store().get_result(a.id).has_value());
}

TEST_P(StorageConformance, MalformedOutcomesAreRefusedBeforeAnythingChanges) {
  Task t = make();
  put(t);
  Task c = claim_one(kT0);
  EXPECT_THROW(finish(outcome(c, TaskStatus::RUNNING, kT0)), InvalidTransitionError);
  EXPECT_THROW(finish(outcome(c, TaskStatus::RETRYING, kT0)), ValidationError);  // no eta
  Outcome bad_id = done(c, Value(1), kT0);
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
  EXPECT_EQ(r->error->error_type, "Cancelled");

  Task retry = make("r", seconds(1));
  put(retry);
  ASSERT_EQ(finish(retrying(claim_one(kT0 + seconds(1)), kT0 + seconds(2), kT0 + seconds(2))),
            Applied::yes);
  EXPECT_EQ(store().cancel(retry.id, kT0 + seconds(3)), CancelResult::cancelled);
  EXPECT_EQ(get(retry.id).status, TaskStatus::CANCELLED);
  EXPECT_EQ(store().cancel(retry.id, kT0 + seconds(4)), CancelResult::already_finished);
  EXPECT_TRUE(claim(kT0 + hours(1)).empty());
}

TEST_P(StorageConformance, ACancelRequestLetsOnlyACancelledOutcomeEndTheTask) {
  Task t = make();
  t.schedule.interval = minutes(1);
  put(t);
  Task c = claim_one(kT0);
  EXPECT_EQ(store().cancel(t.id, kT0 + seconds(1)), CancelResult::requested);
  // Whatever the worker reports next, the task may not run again.
  Outcome retry = retrying(c, kT0 + seconds(2), kT0 + seconds(2));
  EXPECT_EQ(finish(retry), Applied::cancel_requested);
  Outcome rearm = done(c, Value(1), kT0 + seconds(2));
  rearm.status = TaskStatus::PENDING;
  rearm.next_eta = kT0 + minutes(1);
  EXPECT_EQ(finish(rearm), Applied::cancel_requested);
  Outcome release = outcome(c, TaskStatus::PENDING, kT0 + seconds(2));
  release.next_eta = kT0;
  EXPECT_EQ(finish(release), Applied::cancel_requested);
  Outcome lost = retrying(c, kT0 + kLease + seconds(1), kT0 + kLease + seconds(1));
  lost.lease_expired = true;
  EXPECT_EQ(finish(lost), Applied::cancel_requested);
  EXPECT_EQ(get(t.id).status, TaskStatus::RUNNING);
  EXPECT_TRUE(get(t.id).cancel_requested);
  EXPECT_FALSE(store().get_result(t.id).has_value());

  Outcome cancelled = outcome(c, TaskStatus::CANCELLED, kT0 + seconds(3));
  cancelled.error =
      TaskError::make("Cancelled", "cancelled while running", kT0 + seconds(3), false);
  cancelled.result = result(c, TaskStatus::CANCELLED, kT0 + seconds(3));
  cancelled.result->error = cancelled.error;
  EXPECT_EQ(finish(cancelled), Applied::yes);
  EXPECT_EQ(get(t.id).status, TaskStatus::CANCELLED);
  EXPECT_EQ(store().get_result(t.id)->status, TaskStatus::CANCELLED);
  EXPECT_TRUE(claim(kT0 + hours(1)).empty());
}

TEST_P(StorageConformance, UnknownIdsAreNotFoundOrAbsent) {
  EXPECT_FALSE(store().get_task("unknown").has_value());
  EXPECT_FALSE(store().get_result("unknown").has_value());
  EXPECT_THROW(store().cancel("unknown", kT0), NotFoundError);
  EXPECT_EQ(store().renew_leases(std::vector<Claim>{{"unknown", 1}}, kT0),
            std::vector<Applied>{Applied::not_current});
}

TEST_P(StorageConformance, InvalidIdsAreRefusedBeforeTheyReachTheStore) {
  for (std::string bad : {std::string("../escape"), std::string("a/b"), std::string("x\0y", 3),
                          std::string(10240, 'a'), std::string("\xc3\xa9t\xc3\xa9"),
                          std::string("'; DELETE FROM tasks; --")}) {
    EXPECT_THROW(store().get_task(bad), ValidationError);
    EXPECT_THROW(store().get_result(bad), ValidationError);
    EXPECT_THROW(store().cancel(bad, kT0), ValidationError);
    EXPECT_THROW(store().renew_leases(std::vector<Claim>{{bad, 1}}, kT0), ValidationError);
    Task t = make();
    t.id = bad;
    EXPECT_THROW(enqueue(store(), t), ValidationError);
  }
  EXPECT_EQ(store().stats().total(), 0u);
}

TEST_P(StorageConformance, ListTasksFiltersPagesAndKeepsEnqueueOrder) {
  std::vector<Task> tasks;
  for (int i = 0; i < 6; ++i) {
    tasks.push_back(make(i % 2 ? "odd" : "even", seconds(i)));
    if (i == 5) tasks.back().queue = "other";
  }
  enqueue_many(store(), tasks);
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

  TaskFilter newest;
  newest.newest_first = true;
  newest.limit = 2;
  auto n = store().list_tasks(newest);
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0].id, tasks[5].id);
  EXPECT_EQ(n[1].id, tasks[4].id);

  TaskFilter other;
  other.queue = "other";
  auto o = store().list_tasks(other);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].id, tasks[5].id);

  TaskFilter both;
  both.func_path = "even";
  both.status = TaskStatus::PENDING;
  EXPECT_EQ(store().list_tasks(both).size(), 2u);
}

TEST_P(StorageConformance, StatsCountEveryStatusPerQueueAndTheOldestWaitingTask) {
  std::vector<Task> tasks;
  for (int i = 0; i < 6; ++i) tasks.push_back(make("s", seconds(i)));
  tasks[5].queue = "mail";
  enqueue_many(store(), tasks);
  Task a = claim_one(kT0 + minutes(1));
  Task b = claim_one(kT0 + minutes(1));
  claim_one(kT0 + minutes(1));
  finish(done(a, Value(1), kT0 + minutes(1)));
  finish(retrying(b, kT0 + minutes(1), kT0 + minutes(2)));
  store().cancel(tasks[4].id, kT0 + minutes(1));
  QueueStats s = store().stats();
  EXPECT_EQ(s.count(TaskStatus::SUCCESS), 1u);
  EXPECT_EQ(s.count(TaskStatus::RETRYING), 1u);
  EXPECT_EQ(s.count(TaskStatus::RUNNING), 1u);
  EXPECT_EQ(s.count(TaskStatus::PENDING), 2u);
  EXPECT_EQ(s.count(TaskStatus::CANCELLED), 1u);
  EXPECT_EQ(s.count(TaskStatus::FAILED), 0u);
  EXPECT_EQ(s.total(), 6u);
  EXPECT_EQ(s.oldest_pending, tasks[1].created_at);  // b (RETRYING) is the oldest waiting
  ASSERT_EQ(s.queues.size(), 2u);
  EXPECT_EQ(s.queues["mail"][static_cast<std::size_t>(TaskStatus::PENDING)], 1u);
  EXPECT_EQ(s.queues["default"][static_cast<std::size_t>(TaskStatus::PENDING)], 1u);
  EXPECT_EQ(s.queues["default"][static_cast<std::size_t>(TaskStatus::SUCCESS)], 1u);
}

TEST_P(StorageConformance, PurgeDeletesOldResultsAndFinishedTasksOnly) {
  std::vector<Task> tasks;
  for (int i = 0; i < 4; ++i) tasks.push_back(make("p", seconds(i)));
  enqueue_many(store(), tasks);
  Task old1 = claim_one(kT0 + minutes(1));
  Task old2 = claim_one(kT0 + minutes(1));
  Task fresh = claim_one(kT0 + minutes(1));
  finish(done(old1, Value(1), kT0 + minutes(1)));
  finish(failed(old2, kT0 + minutes(2)));
  finish(done(fresh, Value(3), kT0 + hours(2)));
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

TEST_P(StorageConformance, ClosedStoreRefusesFurtherCalls) {
  put(make());
  store().close();
  EXPECT_THROW(store().stats(), StorageError);
  EXPECT_THROW(enqueue(store(), make()), StorageError);
  store_.reset();
}

}  // namespace
}  // namespace omniq::testing
