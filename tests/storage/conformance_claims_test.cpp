// Conformance: enqueue, unique keys, claims, ordering, queues, leases and
// lost workers.
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
  t.queue = "mail";
  t.priority = -3;
  t.unique_key = "welcome:42";
  t.unique_statuses = 0x13;  // PENDING, RUNNING, RETRYING
  t.retry_of = "0192a1b2-0000-7000-8000-000000000001";
  EXPECT_EQ(enqueue(store(), t), (Enqueued{t.id, true}));
  EXPECT_EQ(get(t.id), t);

  Task c = make("report");
  c.schedule.cron = "0 3 * * *";
  c.schedule.timezone = "Europe/Berlin";
  c.schedule.eta = kT0 + hours(20);
  put(c);
  EXPECT_EQ(get(c.id).schedule, c.schedule);
}

TEST_P(StorageConformance, FuncPathWithQuotesAndSqlIsStoredVerbatim) {
  Task t = make("x'); DROP TABLE tasks; --\"");
  t.kwargs = Value{{"'; DELETE FROM tasks; --", 1}};
  put(t);
  EXPECT_EQ(get(t.id), t);
  EXPECT_EQ(store().stats().total(), 1u);
}

TEST_P(StorageConformance, EnqueueRefusesADuplicateId) {
  Task t = make();
  put(t);
  EXPECT_THROW(enqueue(store(), t), ValidationError);
  EXPECT_EQ(store().stats().total(), 1u);
}

TEST_P(StorageConformance, EnqueueManyStoresAllInOrderOrNothing) {
  std::vector<Task> batch{make("a"), make("b"), make("c")};
  auto ids = enqueue_many(store(), batch);
  ASSERT_EQ(ids.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(ids[i].id, batch[i].id);

  std::vector<Task> bad{make("d"), batch[1]};  // second one exists already
  EXPECT_THROW(enqueue_many(store(), bad), ValidationError);
  EXPECT_FALSE(store().get_task(bad[0].id).has_value());
  EXPECT_EQ(store().stats().total(), 3u);
}

TEST_P(StorageConformance, EmptyQueueReturnsNothing) {
  EXPECT_TRUE(claim(kT0, 10).empty());
  EXPECT_EQ(store().stats().total(), 0u);
  EXPECT_FALSE(store().next_eta().has_value());
  EXPECT_TRUE(store().expired(kT0 + hours(1), 10).empty());
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
  EXPECT_TRUE(claim(kT0 + seconds(2)).empty());
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

TEST_P(StorageConformance, ClaimsLowerPriorityFirstThenEtaThenEnqueueOrder) {
  auto with = [&](std::string name, int priority, Duration created) {
    Task t = make(std::move(name), created);
    t.priority = priority;
    return t;
  };
  Task bulk_early = with("bulk_early", 10, seconds(0));
  Task normal = with("normal", 0, seconds(1));
  Task urgent_late = with("urgent_late", -5, seconds(3));
  Task urgent_early = with("urgent_early", -5, seconds(2));
  Task urgent_future = with("urgent_future", -5, seconds(4));
  urgent_future.schedule.eta = kT0 + hours(1);
  for (const Task& t : {bulk_early, normal, urgent_late, urgent_early, urgent_future}) put(t);
  auto claimed = claim(kT0 + minutes(1), 10);
  std::vector<std::string> order;
  for (const Task& t : claimed) order.push_back(t.func_path);
  EXPECT_EQ(order,
            (std::vector<std::string>{"urgent_early", "urgent_late", "normal", "bulk_early"}));
}

TEST_P(StorageConformance, ClaimsOnlyFromTheNamedQueue) {
  Task mail = make("mail");
  mail.queue = "mail";
  Task plain = make("plain", seconds(1));
  put(mail);
  put(plain);
  auto got = claim(kT0 + minutes(1), 10, "mail");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, mail.id);
  EXPECT_TRUE(claim(kT0 + minutes(1), 10, "other").empty());
  EXPECT_EQ(claim_one(kT0 + minutes(1)).id, plain.id);
}

TEST_P(StorageConformance, OneWriteClaimsFromSeveralQueuesInTheirOrder) {
  std::vector<Task> tasks;
  for (int i = 0; i < 4; ++i) {
    Task t = make("t" + std::to_string(i), seconds(i));
    t.queue = i % 2 ? "b" : "a";
    tasks.push_back(t);
  }
  enqueue_many(store(), tasks);
  WriteBatch b;
  b.claims = {{"b", 5}, {"a", 1}};
  b.now = kT0 + minutes(1);
  b.lease = kLease;
  auto r = store().write(b);
  std::vector<std::string> got;
  for (const Task& t : r.claimed) got.push_back(t.func_path);
  EXPECT_EQ(got, (std::vector<std::string>{"t1", "t3", "t0"}));
  b.claims = {{"a", 1}, {"a", 1}};
  EXPECT_THROW(store().write(b), ValidationError);
  EXPECT_EQ(get(tasks[2].id).status, TaskStatus::PENDING);
}

TEST_P(StorageConformance, PausedQueueIsNotClaimedUntilResumed) {
  Task mail = make("mail");
  mail.queue = "mail";
  put(mail);
  put(make("plain", seconds(1)));
  store().set_paused("mail", true);
  EXPECT_TRUE(claim(kT0 + minutes(1), 10, "mail").empty());
  EXPECT_EQ(claim(kT0 + minutes(1), 10).size(), 1u);  // other queues go on
  EXPECT_EQ(store().stats().paused, std::vector<std::string>{"mail"});
  store().set_paused("mail", false);
  EXPECT_TRUE(store().stats().paused.empty());
  EXPECT_EQ(claim_one(kT0 + minutes(1), "mail").id, mail.id);
  EXPECT_THROW(store().set_paused("bad name!", true), ValidationError);
}

TEST_P(StorageConformance, TaskIsNotDueBeforeItsEta) {
  Task t = make_at(kT0 + seconds(10));
  put(t);
  EXPECT_TRUE(claim(kT0 + seconds(9)).empty());
  EXPECT_EQ(get(t.id).status, TaskStatus::PENDING);
  EXPECT_EQ(store().next_eta(), kT0 + seconds(10));
  EXPECT_EQ(claim_one(kT0 + seconds(10)).id, t.id);
  EXPECT_FALSE(store().next_eta().has_value());
}

TEST_P(StorageConformance, ClaimTakesUpToNInOrder) {
  std::vector<Task> tasks;
  for (int i = 0; i < 5; ++i) tasks.push_back(make("job" + std::to_string(i), seconds(i)));
  enqueue_many(store(), tasks);
  auto first = claim(kT0 + minutes(1), 3);
  ASSERT_EQ(first.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(first[i].id, tasks[i].id);
    EXPECT_EQ(first[i].status, TaskStatus::RUNNING);
  }
  auto rest = claim(kT0 + minutes(1), 10);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].id, tasks[3].id);
  EXPECT_TRUE(claim(kT0 + minutes(1), 10).empty());
}

TEST_P(StorageConformance, ClaimNeverHandsOneTaskToTwoClaimers) {
  std::vector<Task> tasks;
  for (int i = 0; i < 400; ++i) tasks.push_back(make("job", microseconds(i)));
  enqueue_many(store(), tasks);
  std::mutex mu;
  std::vector<std::string> claimed;
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (;;) {
        auto batch = claim(kT0 + minutes(1), 1 + w * 3);
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
  EXPECT_TRUE(claim(kT0 + hours(1)).empty());
}

TEST_P(StorageConformance, ExpiredListsRunningTasksWhoseLeaseRanOut) {
  Task a = make("a"), b = make("b", seconds(1)), c = make("c", seconds(2));
  for (const Task& t : {a, b, c}) put(t);
  Task ca = claim_one(kT0 + seconds(5));
  Task cb = claim_one(kT0 + seconds(6));
  EXPECT_TRUE(store().expired(kT0 + seconds(5) + kLease, 10).empty());  // not yet past
  auto lost = store().expired(kT0 + seconds(7) + kLease, 10);
  ASSERT_EQ(lost.size(), 2u);
  EXPECT_EQ(lost[0], ca);  // oldest lease first
  EXPECT_EQ(lost[1], cb);
  EXPECT_EQ(store().expired(kT0 + seconds(7) + kLease, 1).size(), 1u);
  EXPECT_EQ(get(c.id).status, TaskStatus::PENDING);
}

TEST_P(StorageConformance, LostWorkerOutcomeAppliesOnlyWhileTheLeaseIsExpired) {
  Task t = make();
  put(t);
  Task c = claim_one(kT0);
  Timestamp late = kT0 + kLease + seconds(1);
  ASSERT_EQ(store().expired(late, 10).size(), 1u);
  // The worker was alive after all: it renews before the recovery lands.
  ASSERT_EQ(store().renew_leases(std::vector<Claim>{{c.id, c.attempts}}, late + kLease),
            std::vector<Applied>{Applied::yes});
  Outcome lost = retrying(c, late, late);
  lost.lease_expired = true;
  EXPECT_EQ(finish(lost), Applied::not_current);
  EXPECT_EQ(get(t.id).status, TaskStatus::RUNNING);
  // Once the lease has run out, it applies.
  Timestamp later = late + kLease + seconds(1);
  lost = retrying(c, later, later);
  lost.lease_expired = true;
  EXPECT_EQ(finish(lost), Applied::yes);
  EXPECT_EQ(get(t.id).status, TaskStatus::RETRYING);
  EXPECT_FALSE(get(t.id).lease_expires_at.has_value());
  EXPECT_EQ(finish(lost), Applied::not_current);  // a second recoverer changes nothing
}

TEST_P(StorageConformance, RenewLeasesExtendsCurrentClaimsAndReportsTheRest) {
  Task a = make("a"), b = make("b", seconds(1));
  put(a);
  put(b);
  Task ca = claim_one(kT0 + seconds(1)), cb = claim_one(kT0 + seconds(1));
  ASSERT_EQ(finish(done(cb, Value(1), kT0 + seconds(2))), Applied::yes);
  std::vector<Claim> claims{{ca.id, ca.attempts}, {cb.id, cb.attempts}, {ca.id, 9}};
  EXPECT_EQ(store().renew_leases(claims, kT0 + minutes(6)),
            (std::vector<Applied>{Applied::yes, Applied::not_current, Applied::not_current}));
  EXPECT_EQ(get(a.id).lease_expires_at, kT0 + minutes(6));

  // A cancel request on a running task is reported by the next renewal.
  EXPECT_EQ(store().cancel(a.id, kT0 + seconds(2)), CancelResult::requested);
  EXPECT_EQ(get(a.id).status, TaskStatus::RUNNING);
  EXPECT_TRUE(get(a.id).cancel_requested);
  EXPECT_EQ(store().renew_leases(std::vector<Claim>{{ca.id, ca.attempts}}, kT0 + minutes(7)),
            std::vector<Applied>{Applied::cancel_requested});
  EXPECT_EQ(get(a.id).lease_expires_at, kT0 + minutes(7));
}

TEST_P(StorageConformance, AClaimGivenBackWaitsAgainAndIsNeverCurrentAgain) {
  Task t = make_at(kT0 + seconds(3));
  put(t);
  Task c = claim_one(kT0 + seconds(5));
  Outcome o = outcome(c, TaskStatus::PENDING, kT0 + seconds(6));
  o.next_eta = kT0 + seconds(3);
  ASSERT_EQ(finish(o), Applied::yes);
  Task r = get(t.id);
  EXPECT_EQ(r.status, TaskStatus::PENDING);
  EXPECT_EQ(r.attempts, 1);  // attempts counts claims
  EXPECT_EQ(r.schedule.eta, kT0 + seconds(3));
  EXPECT_FALSE(r.lease_expires_at.has_value());
  EXPECT_EQ(claim_one(kT0 + seconds(7)).attempts, 2);
  EXPECT_EQ(finish(o), Applied::not_current);  // the old claim is gone for good
}

TEST_P(StorageConformance, StoreSurvivesManyTasksAndClaimsInOrder) {
  std::vector<Task> tasks;
  for (int i = 0; i < 1000; ++i) tasks.push_back(make("bulk", microseconds(i)));
  enqueue_many(store(), tasks);
  std::size_t n = 0;
  std::string last;
  for (auto got = claim(kT0 + seconds(1), 7); !got.empty(); got = claim(kT0 + seconds(1), 7)) {
    for (const Task& t : got) {
      EXPECT_LT(last, t.id);
      last = t.id;
      ++n;
    }
  }
  EXPECT_EQ(n, 1000u);
}

Task with_key(Task t, std::string key, std::uint8_t statuses = 0x13) {
  t.unique_key = std::move(key);
  t.unique_statuses = statuses;
  return t;
}

TEST_P(StorageConformance, SecondEnqueueWithALiveUniqueKeyGetsTheFirstTask) {
  Task first = with_key(make("report"), "nightly");
  Task second = with_key(make("report", seconds(1)), "nightly");
  Task other = with_key(make("report", seconds(2)), "weekly");
  other.queue = "weekly";
  EXPECT_EQ(enqueue(store(), first), (Enqueued{first.id, true}));
  EXPECT_EQ(enqueue(store(), second), (Enqueued{first.id, false}));
  EXPECT_EQ(enqueue(store(), other), (Enqueued{other.id, true}));
  EXPECT_FALSE(store().get_task(second.id).has_value());
  // Still held while it runs or waits to retry.
  Task c = claim_one(kT0 + minutes(1));
  EXPECT_EQ(enqueue(store(), second).created, false);
  ASSERT_EQ(finish(retrying(c, kT0 + minutes(1), kT0 + minutes(2))), Applied::yes);
  EXPECT_EQ(enqueue(store(), second).created, false);
  // Finished: the key is free again.
  c = claim_one(kT0 + minutes(3));
  ASSERT_EQ(c.id, first.id);
  ASSERT_EQ(finish(done(c, Value(1), kT0 + minutes(3))), Applied::yes);
  EXPECT_EQ(enqueue(store(), second), (Enqueued{second.id, true}));
}

TEST_P(StorageConformance, UniqueKeyHeldInFinishedStatusesWhenAsked) {
  std::uint8_t with_success = 0x13 | 0x04;
  Task first = with_key(make("sync"), "once", with_success);
  put(first);
  Task c = claim_one(kT0 + seconds(1));
  ASSERT_EQ(finish(done(c, Value(1), kT0 + seconds(2))), Applied::yes);
  Task again = with_key(make("sync", seconds(3)), "once", with_success);
  EXPECT_EQ(enqueue(store(), again), (Enqueued{first.id, false}));
  // A task cancelled before it ran does not hold it (CANCELLED is not in the set).
  Task other = with_key(make("sync", seconds(4)), "twice");
  put(other);
  store().cancel(other.id, kT0 + seconds(5));
  Task next = with_key(make("sync", seconds(6)), "twice");
  EXPECT_TRUE(enqueue(store(), next).created);
}

TEST_P(StorageConformance, UniqueKeyTwiceInOneBatchAddsOneTask) {
  std::vector<Task> batch{with_key(make("a"), "k"), make("b"), with_key(make("c"), "k")};
  auto r = enqueue_many(store(), batch);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0], (Enqueued{batch[0].id, true}));
  EXPECT_EQ(r[1], (Enqueued{batch[1].id, true}));
  EXPECT_EQ(r[2], (Enqueued{batch[0].id, false}));
  EXPECT_EQ(store().stats().total(), 2u);
}

TEST_P(StorageConformance, ConcurrentEnqueuesOfOneUniqueKeyCreateOneTask) {
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::string> ids;
  int created = 0;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      Task t = with_key(make("job", microseconds(i)), "race");
      Enqueued e = enqueue(store(), t);
      std::lock_guard lock(mu);
      ids.insert(e.id);
      created += e.created;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created, 1);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(store().stats().total(), 1u);
}

TEST_P(StorageConformance, WorkersAreRecordedAndListedBySeenTime) {
  WorkerInfo a{"host:1:1", "host", 1, {{"default", 4}}, kT0, kT0 + seconds(10)};
  WorkerInfo b{"host:2:1", "host", 2, {{"mail", 2}, {"default", 1}}, kT0, kT0 + seconds(20)};
  store().record_worker(a);
  store().record_worker(b);
  auto seen = store().workers(kT0 + seconds(15));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].id, b.id);
  EXPECT_EQ(seen[0].queues, b.queues);
  EXPECT_EQ(seen[0].seen_at, b.seen_at);
  a.seen_at = kT0 + seconds(30);
  store().record_worker(a);  // a heartbeat updates the same worker
  EXPECT_EQ(store().workers(kT0).size(), 2u);
  EXPECT_EQ(store().workers(kT0 + seconds(25)).size(), 1u);
}

TEST_P(StorageConformance, FinishedPerMinuteCountsResultsByMinute) {
  std::vector<Task> tasks;
  for (int i = 0; i < 4; ++i) tasks.push_back(make("m", seconds(i)));
  enqueue_many(store(), tasks);
  auto c = claim(kT0 + seconds(5), 4);
  ASSERT_EQ(c.size(), 4u);
  finish(done(c[0], Value(1), kT0 + seconds(10)));
  finish(done(c[1], Value(1), kT0 + seconds(50)));
  finish(failed(c[2], kT0 + seconds(70)));
  finish(done(c[3], Value(1), kT0 + minutes(5)));  // after `until`
  EXPECT_EQ(store().finished_per_minute(kT0, kT0 + minutes(3)),
            (std::vector<std::size_t>{2, 1, 0}));
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageConformance, ::testing::ValuesIn(all_backends()),
                         backend_name);

}  // namespace
}  // namespace omniq::testing
