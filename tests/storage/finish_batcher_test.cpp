// FinishBatcher: outcomes are group-committed, a claim rides with them in one
// Storage::finish_and_dequeue, and one bad outcome's error stays its own.
//
// The batcher's drain is run by hand (its post function only stores the
// job), so which calls share a round is decided, not timed.
#include "engine/finish_batcher.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "omniq/memory_storage.hpp"
#include "omniq/settings.hpp"

namespace omniq::testing {
namespace {

using namespace std::chrono;

const Timestamp kT0 = sys_days{2026y / November / 26} + 6h;
constexpr Duration kLease = seconds(30);

// A MemoryStorage that counts the batch calls the batcher makes.
class CountingStorage final : public Storage {
 public:
  std::string enqueue(const Task& t) override { return m_.enqueue(t); }
  std::vector<std::string> enqueue_many(std::span<const Task> t) override {
    return m_.enqueue_many(t);
  }
  std::vector<Task> dequeue_many(Timestamp now, std::size_t n, Duration lease) override {
    ++dequeues;
    return m_.dequeue_many(now, n, lease);
  }
  Task mark_running(std::string_view id, Timestamp now, Duration lease) override {
    return m_.mark_running(id, now, lease);
  }
  std::vector<bool> finish_many(std::span<const Outcome> o) override {
    ++finishes;
    return m_.finish_many(o);
  }
  FinishAndClaim finish_and_dequeue(std::span<const Outcome> o, Timestamp now, std::size_t n,
                                    Duration lease) override {
    ++combined;
    return Storage::finish_and_dequeue(o, now, n, lease);
  }
  void reschedule(std::string_view id, Timestamp eta) override { m_.reschedule(id, eta); }
  CancelResult cancel(std::string_view id, Timestamp now) override { return m_.cancel(id, now); }
  std::vector<Claim> renew_leases(std::span<const Claim> c, Timestamp until) override {
    return m_.renew_leases(c, until);
  }
  void release(std::span<const Claim> c, Timestamp now) override { m_.release(c, now); }
  std::optional<Task> get_task(std::string_view id) override { return m_.get_task(id); }
  std::optional<TaskResult> get_result(std::string_view id) override { return m_.get_result(id); }
  std::vector<Task> list_tasks(const TaskFilter& f) override { return m_.list_tasks(f); }
  QueueStats stats() override { return m_.stats(); }
  std::optional<Timestamp> next_eta() override { return m_.next_eta(); }
  std::size_t purge_results(Timestamp t) override { return m_.purge_results(t); }
  std::size_t recover_expired(Timestamp now) override { return m_.recover_expired(now); }
  std::uint64_t change_counter() override { return m_.change_counter(); }
  void close() override { m_.close(); }

  int dequeues = 0, finishes = 0, combined = 0;

 private:
  MemoryStorage m_;
};

class FinishBatcherTest : public ::testing::Test {
 protected:
  FinishBatcherTest()
      : batcher_(
            store_, [this](std::function<void()> job) { jobs_.push_back(std::move(job)); }, 512) {}

  // Enqueues n tasks and claims them directly; returns the claims.
  std::vector<Task> claimed(int n) {
    for (int i = 0; i < n; ++i) {
      store_.enqueue(make_task("job", Value::array({i}), {}, Settings{}, kT0 + microseconds(i)));
    }
    return store_.dequeue_many(kT0 + seconds(1), static_cast<std::size_t>(n), kLease);
  }
  static Outcome success(const Task& t) {
    Outcome o;
    o.task_id = t.id;
    o.attempt = t.attempts;
    o.status = TaskStatus::SUCCESS;
    o.result = TaskResult{t.id,       TaskStatus::SUCCESS, Value(1), std::nullopt, kT0 + seconds(2),
                          t.attempts, t.last_attempt_at};
    o.at = kT0 + seconds(2);
    return o;
  }
  void run_jobs() {
    while (!jobs_.empty()) {
      auto job = std::move(jobs_.front());
      jobs_.erase(jobs_.begin());
      job();
    }
  }

  CountingStorage store_;
  std::vector<std::function<void()>> jobs_;
  FinishBatcher batcher_;
};

TEST_F(FinishBatcherTest, AClaimRidesWithTheOutcomesPendingInOneCall) {
  auto running = claimed(2);
  store_.enqueue(make_task("job", Value::array({9}), {}, Settings{}, kT0 + seconds(1)));
  std::vector<bool> applied;
  std::vector<Task> got;
  for (const Task& t : running) {
    batcher_.finish(success(t), [&](std::exception_ptr e, bool ok) {
      EXPECT_FALSE(e);
      applied.push_back(ok);
    });
  }
  batcher_.claim(kT0 + seconds(3), 10, kLease, [&](std::exception_ptr e, AsyncStorage::Claimed c) {
    EXPECT_FALSE(e);
    got = std::move(c.tasks);
  });
  ASSERT_EQ(jobs_.size(), 1u);  // one drain for all three
  run_jobs();
  EXPECT_EQ(store_.combined, 1);
  EXPECT_EQ(applied, std::vector<bool>({true, true}));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].args, Value::array({9}));
  EXPECT_EQ(store_.stats().count(TaskStatus::SUCCESS), 2u);
}

TEST_F(FinishBatcherTest, ABadOutcomeFailsAloneAndTheClaimStillRuns) {
  auto running = claimed(1);
  store_.enqueue(make_task("job", Value::array({9}), {}, Settings{}, kT0 + seconds(1)));
  Outcome bad = success(running[0]);
  bad.task_id = "no-such-task-but-valid";
  bad.status = TaskStatus::RUNNING;  // refused by every store
  std::exception_ptr bad_error;
  bool good_applied = false;
  std::size_t got = 0;
  batcher_.finish(success(running[0]), [&](std::exception_ptr e, bool ok) {
    EXPECT_FALSE(e);
    good_applied = ok;
  });
  batcher_.finish(bad, [&](std::exception_ptr e, bool) { bad_error = e; });
  batcher_.claim(kT0 + seconds(3), 10, kLease, [&](std::exception_ptr e, AsyncStorage::Claimed c) {
    EXPECT_FALSE(e);
    got = c.tasks.size();
  });
  run_jobs();
  EXPECT_TRUE(good_applied);
  EXPECT_TRUE(bad_error);
  EXPECT_EQ(got, 1u);
}

TEST_F(FinishBatcherTest, AClaimWithNoOutcomesPendingRunsAloneAtOnce) {
  store_.enqueue(make_task("job", Value::array({1}), {}, Settings{}, kT0));
  std::uint64_t before = store_.change_counter();
  AsyncStorage::Claimed got;
  batcher_.claim(kT0 + seconds(1), 10, kLease, [&](std::exception_ptr e, AsyncStorage::Claimed c) {
    EXPECT_FALSE(e);
    got = std::move(c);
  });
  run_jobs();
  EXPECT_EQ(store_.dequeues, 1);
  EXPECT_EQ(store_.combined, 0);
  EXPECT_EQ(got.tasks.size(), 1u);
  EXPECT_EQ(got.changes_before, before);  // read before the claim wrote
}

}  // namespace
}  // namespace omniq::testing
