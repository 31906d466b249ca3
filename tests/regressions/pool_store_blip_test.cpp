// Regressions found by the multi-host test (tests/multihost), around a store
// that fails for a moment (a database restart, a network blip):
// - an idle pool asks the store when the next task is due; when that call
//   failed, the error ended the pool's claim loop: the worker never claimed
//   again, and stop() waited for it forever;
// - a pool stopped while its maintenance (or heartbeat) was in a store call
//   then slept a whole maintenance interval (60 s here) before stop() returned.
#include <condition_variable>
#include <future>
#include <mutex>

#include "engine/engine_fixture.hpp"
#include "storage/memory/memory_storage.hpp"
#include "support/forwarding_storage.hpp"

namespace omniq::testing {
namespace {

// next_eta() fails its first `failures` calls, as a database going away would.
class FailingNextEta : public ForwardingStorage {
 public:
  FailingNextEta(std::shared_ptr<Storage> inner, int failures)
      : ForwardingStorage(std::move(inner)), failures_(failures) {}
  std::optional<Timestamp> next_eta() override {
    ++calls;
    if (failures_-- > 0) throw StorageError("PostgreSQL database unreachable (a test's)");
    return inner_->next_eta();
  }
  std::atomic<int> calls{0};

 private:
  std::atomic<int> failures_;
};

TEST(PoolStoreBlip, AnIdlePoolWhoseStoreFailsForAMomentGoesOnClaiming) {
  auto store = std::make_shared<FailingNextEta>(std::make_shared<MemoryStorage>(), 3);
  OmniQ oq(store, Settings{});
  Registry r;
  r.add("job", [] { return 1; });
  WorkerPool pool = oq.worker(std::move(r), fast_options(1));
  pool.start();
  // Idle, it asks again after each failure (and after the poll interval).
  ASSERT_TRUE(eventually([&] { return store->calls.load() > 4; }, seconds(10)));
  std::string id = oq.enqueue("job");
  auto result = oq.get_result(id, {.wait = true, .timeout = seconds(10)});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, TaskStatus::SUCCESS);
  auto stopped = std::async(std::launch::async, [&] { pool.stop(); });
  EXPECT_EQ(stopped.wait_for(seconds(10)), std::future_status::ready);
}

// purge_results() waits for `open` while `blocking` (the maintenance's call).
class SlowPurge : public ForwardingStorage {
 public:
  using ForwardingStorage::ForwardingStorage;
  std::size_t purge_results(Timestamp t) override {
    std::unique_lock lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return open; });
    return inner_->purge_results(t);
  }
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, open = false;
};

TEST(PoolStoreBlip, StoppingDuringAMaintenanceCallDoesNotWaitForTheNextRound) {
  auto store = std::make_shared<SlowPurge>(std::make_shared<MemoryStorage>());
  OmniQ oq(store, Settings{});
  Registry r;
  r.add("job", [] { return 1; });
  WorkerOptions o = fast_options(1);  // maintenance every 60 s
  WorkerPool pool = oq.worker(std::move(r), o);
  pool.start();
  {
    std::unique_lock lock(store->mu);
    ASSERT_TRUE(store->cv.wait_for(lock, seconds(10), [&] { return store->entered; }));
  }
  auto stopped = std::async(std::launch::async, [&] { pool.stop(); });
  std::this_thread::sleep_for(milliseconds(100));  // stop is under way
  {
    std::lock_guard lock(store->mu);
    store->open = true;
  }
  store->cv.notify_all();
  EXPECT_EQ(stopped.wait_for(seconds(20)), std::future_status::ready)
      << "stop() waited for the next maintenance round";
}

}  // namespace
}  // namespace omniq::testing
