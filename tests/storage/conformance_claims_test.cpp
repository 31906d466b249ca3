// Conformance: enqueue, claims, ordering, leases and recovery.
#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

#include "storage/conformance.hpp"

namespace omniq::testing {
namespace {

TEST_P(StorageConformance, EnqueuedTaskReadsBackWithEveryField) {
  Task t = make("mail.send");
  t.args = Value::array({"caf\xc3\xa9", "it's \"quoted\"", 1.5, nullptr, Value{{"deep", {1, 2}}}});
  t.kwargs = Value{{"to", "user@example.com"}, {"n", 3}};
  t.schedule = {kT0 + seconds(5), minutes(2)};
  t.timeout = milliseconds(1500);
  t.max_retries = 5;
  EXPECT_EQ(store().enqueue(t), t.id);
  EXPECT_EQ(get(t.id), t);
}

TEST_P(StorageConformance, FuncPathWithQuotesAndSqlIsStoredVerbatim) {
  Task t = make("x'); DROP TABLE tasks; --\"");
  put(t);
  EXPECT_EQ(get(t.id).func_path, t.func_path);
  EXPECT_EQ(store().stats().total(), 1u);
}

TEST_P(StorageConformance, EnqueueRefusesADuplicateId) {
  Task t = make();
  put(t);
  EXPECT_THROW(store().enqueue(t), ValidationError);
  EXPECT_EQ(store().stats().total(), 1u);
}

TEST_P(StorageConformance, EnqueueManyStoresAllInOrderOrNothing) {
  std::vector<Task> batch{make("a"), make("b"), make("c")};
  auto ids = store().enqueue_many(batch);
  ASSERT_EQ(ids.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(ids[i], batch[i].id);

  std::vector<Task> bad{make("d"), batch[1]};  // second one exists already
  EXPECT_ANY_THROW(store().enqueue_many(bad));
  EXPECT_FALSE(store().get_task(bad[0].id).has_value());
  EXPECT_EQ(store().stats().total(), 3u);
}

TEST_P(StorageConformance, EmptyQueueReturnsNothingAndWritesNothing) {
  auto before = store().change_counter();
  EXPECT_FALSE(store().dequeue(kT0, kLease).has_value());
  EXPECT_TRUE(store().dequeue_many(kT0, 10, kLease).empty());
  EXPECT_EQ(store().change_counter(), before);
  EXPECT_EQ(store().stats().total(), 0u);
  EXPECT_FALSE(store().next_eta().has_value());
}

TEST_P(StorageConformance, ClaimMarksRunningCountsTheAttemptAndSetsALease) {
  Task t = make();
  put(t);
  Task c = claim_one(kT0 + seconds(1));
  EXPECT_EQ(c.id, t.id);
  EXPECT_EQ(c.status, TaskStatus::RUNNING);
  EXPECT_EQ(c.attempts, 1);
  EXPECT_EQ(c.last_attempt_at, kT0 + seconds(1));
  EXPECT_EQ(c.lease_expires_at, kT0 + seconds(1) + kLease);
  EXPECT_EQ(get(t.id), c);
  EXPECT_FALSE(store().dequeue(kT0 + seconds(2), kLease).has_value());
}

TEST_P(StorageConformance, ClaimsEarliestEtaFirstThenEnqueueOrder) {
  // Enqueued in this order; created_at ascending.
  Task late = make_at(kT0 + seconds(30), "late");
  Task plain1 = make("plain1", seconds(1));
  Task early = make_at(kT0 + seconds(2), "early");
  Task plain2 = make("plain2", seconds(3));
  Task same_eta_a = make_at(kT0 + seconds(10), "same_a");
  Task same_eta_b = make_at(kT0 + seconds(10), "same_b");
  for (const Task& t : {late, plain1, early, plain2, same_eta_a, same_eta_b}) put(t);

  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i) order.push_back(claim_one(kT0 + minutes(1)).func_path);
  EXPECT_EQ(order,
            (std::vector<std::string>{"plain1", "early", "plain2", "same_a", "same_b", "late"}));
}

TEST_P(StorageConformance, TaskIsNotDueBeforeItsEta) {
  Task t = make_at(kT0 + seconds(10));
  put(t);
  EXPECT_FALSE(store().dequeue(kT0 + seconds(9), kLease).has_value());
  EXPECT_EQ(get(t.id).status, TaskStatus::PENDING);
  EXPECT_EQ(store().next_eta(), kT0 + seconds(10));
  EXPECT_EQ(claim_one(kT0 + seconds(10)).id, t.id);
  EXPECT_FALSE(store().next_eta().has_value());
}

TEST_P(StorageConformance, DequeueManyClaimsUpToNInOrder) {
  std::vector<Task> tasks;
  for (int i = 0; i < 5; ++i) tasks.push_back(make("job" + std::to_string(i), seconds(i)));
  store().enqueue_many(tasks);
  auto first = store().dequeue_many(kT0 + minutes(1), 3, kLease);
  ASSERT_EQ(first.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(first[i].id, tasks[i].id);
    EXPECT_EQ(first[i].status, TaskStatus::RUNNING);
  }
  auto rest = store().dequeue_many(kT0 + minutes(1), 10, kLease);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].id, tasks[3].id);
  EXPECT_TRUE(store().dequeue_many(kT0 + minutes(1), 10, kLease).empty());
}

TEST_P(StorageConformance, DequeueNeverHandsOneTaskToTwoClaimers) {
  std::vector<Task> tasks;
  for (int i = 0; i < 400; ++i) tasks.push_back(make("job", microseconds(i)));
  store().enqueue_many(tasks);
  std::mutex mu;
  std::vector<std::string> claimed;
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (;;) {
        auto batch = store().dequeue_many(kT0 + minutes(1), 1 + w * 3, kLease);
        if (batch.empty()) return;
        std::lock_guard lock(mu);
        for (const Task& t : batch) claimed.push_back(t.id);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> unique(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed.size(), 400u);
  EXPECT_EQ(unique.size(), 400u);
}

TEST_P(StorageConformance, CancelledTaskIsNeverClaimed) {
  Task t = make();
  put(t);
  EXPECT_EQ(store().cancel(t.id, kT0), CancelResult::cancelled);
  EXPECT_FALSE(store().dequeue(kT0 + hours(1), kLease).has_value());
}

TEST_P(StorageConformance, MarkRunningClaimsTheNamedTaskEvenIfNotDue) {
  Task t = make_at(kT0 + hours(1));
  put(t);
  Task c = store().mark_running(t.id, kT0, kLease);
  EXPECT_EQ(c.status, TaskStatus::RUNNING);
  EXPECT_EQ(c.attempts, 1);
  EXPECT_EQ(store().mark_running(t.id, kT0 + seconds(1), kLease), c);  // RUNNING: unchanged
  ASSERT_TRUE(
      store().mark_done(t.id, TaskResult{t.id, TaskStatus::SUCCESS, Value(1), {}, kT0, 1, {}}));
  EXPECT_THROW(store().mark_running(t.id, kT0, kLease), InvalidTransitionError);
  EXPECT_THROW(store().mark_running("nope", kT0, kLease), NotFoundError);
}

TEST_P(StorageConformance, ExpiredLeaseIsRecoveredAsRetryingDueNow) {
  Task t = make("job", {}, /*max_retries=*/2);
  put(t);
  Task c = claim_one(kT0);
  EXPECT_EQ(store().recover_expired(kT0 + kLease - microseconds(1)), 0u);  // still live
  EXPECT_EQ(store().recover_expired(kT0 + kLease + seconds(1)), 1u);
  Task r = get(t.id);
  EXPECT_EQ(r.status, TaskStatus::RETRYING);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->error_type, "WorkerLost");
  EXPECT_EQ(r.error->retry_count, 0);
  EXPECT_TRUE(r.error->is_retryable);
  EXPECT_FALSE(r.lease_expires_at.has_value());
  Task again = claim_one(kT0 + kLease + seconds(1));
  EXPECT_EQ(again.attempts, 2);
  EXPECT_EQ(store().recover_expired(kT0 + kLease + seconds(2)), 0u);
}

TEST_P(StorageConformance, RecoveryFailsTheTaskWhenItsRetriesAreSpent) {
  Task t = make("job", {}, /*max_retries=*/1);
  put(t);
  Timestamp now = kT0;
  claim_one(now);
  now += kLease + seconds(1);
  ASSERT_EQ(store().recover_expired(now), 1u);  // retry 1 of 1 remains
  claim_one(now);
  now += kLease + seconds(1);
  ASSERT_EQ(store().recover_expired(now), 1u);
  Task r = get(t.id);
  EXPECT_EQ(r.status, TaskStatus::FAILED);
  EXPECT_EQ(r.error->error_type, "WorkerLost");
  EXPECT_FALSE(r.error->is_retryable);
  auto res = store().get_result(t.id);
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, TaskStatus::FAILED);
  EXPECT_EQ(res->error->error_type, "WorkerLost");
  EXPECT_EQ(res->attempts, 2);
}

TEST_P(StorageConformance, RenewLeasesExtendsCurrentClaimsAndReportsTheRest) {
  Task a = make("a"), b = make("b", seconds(1));
  put(a);
  put(b);
  Task ca = claim_one(kT0 + seconds(1)), cb = claim_one(kT0 + seconds(1));
  // b's lease runs out and b is recovered: that claim is lost.
  store().renew_leases(std::vector<Claim>{{ca.id, ca.attempts}}, kT0 + minutes(5));
  ASSERT_EQ(store().recover_expired(kT0 + kLease + seconds(2)), 1u);
  EXPECT_EQ(get(a.id).lease_expires_at, kT0 + minutes(5));
  std::vector<Claim> claims{{ca.id, ca.attempts}, {cb.id, cb.attempts}};
  auto stop = store().renew_leases(claims, kT0 + minutes(6));
  ASSERT_EQ(stop.size(), 1u);
  EXPECT_EQ(stop[0].task_id, b.id);
  EXPECT_EQ(get(a.id).lease_expires_at, kT0 + minutes(6));

  // A cancel request on a running task is reported by the next renewal.
  EXPECT_EQ(store().cancel(a.id, kT0 + seconds(2)), CancelResult::requested);
  EXPECT_EQ(get(a.id).status, TaskStatus::RUNNING);
  stop = store().renew_leases(std::vector<Claim>{{ca.id, ca.attempts}}, kT0 + minutes(7));
  ASSERT_EQ(stop.size(), 1u);
  EXPECT_EQ(stop[0].task_id, a.id);
}

TEST_P(StorageConformance, ReleaseGivesUnstartedClaimsBack) {
  Task t = make();
  put(t);
  Task c = claim_one(kT0);
  store().release(std::vector<Claim>{{c.id, c.attempts}}, kT0 + seconds(1));
  Task r = get(t.id);
  EXPECT_EQ(r.status, TaskStatus::PENDING);
  EXPECT_EQ(r.attempts, 0);
  EXPECT_FALSE(r.lease_expires_at.has_value());
  EXPECT_EQ(claim_one(kT0 + seconds(2)).attempts, 1);
  // A stale claim is skipped.
  store().release(std::vector<Claim>{{c.id, 7}}, kT0 + seconds(3));
  EXPECT_EQ(get(t.id).status, TaskStatus::RUNNING);
}

TEST_P(StorageConformance, StoreSurvivesManyTasksAndClaimsInOrder) {
  std::vector<Task> tasks;
  for (int i = 0; i < 1000; ++i) tasks.push_back(make("bulk", microseconds(i)));
  store().enqueue_many(tasks);
  std::size_t n = 0;
  std::string last;
  while (auto t = store().dequeue(kT0 + seconds(1), kLease)) {
    EXPECT_LT(last, t->id);
    last = t->id;
    ++n;
  }
  EXPECT_EQ(n, 1000u);
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageConformance, ::testing::ValuesIn(all_backends()),
                         backend_name);

}  // namespace
}  // namespace omniq::testing
