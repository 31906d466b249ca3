// Regression (found by the kill test, tests/reliability/kill_test.cpp): the
// worker's claim budget of concurrency + prefetch ignored outcomes still being
// written. With a slow store, finished tasks piled up unrecorded while the
// worker kept claiming and running more, so a crash could run far more than
// concurrency + prefetch tasks again. Now a task counts against the budget
// from its claim until its outcome is stored.
#include <gtest/gtest.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "omniq/omniq.hpp"
#include "storage/memory/memory_storage.hpp"
#include "support/forwarding_storage.hpp"

namespace omniq::testing {
namespace {

using namespace std::chrono;

// A MemoryStorage whose writes that carry outcomes wait until the gate
// opens; every other call goes through at once. It also measures every write
// against the budget: the tasks RUNNING before it, less those it finishes,
// plus those it asks to claim (one pool uses the store, so its RUNNING tasks
// are that pool's claims).
class GatedStorage final : public ForwardingStorage {
 public:
  GatedStorage() : ForwardingStorage(std::make_shared<MemoryStorage>()) {}

  void open_gate() {
    std::lock_guard lock(gate_mu_);
    open_ = true;
    gate_cv_.notify_all();
  }
  // The most a write ever asked to hold, and the most RUNNING after a write.
  std::size_t most_requested() const {
    std::lock_guard lock(check_mu_);
    return most_requested_;
  }
  std::size_t most_running() const {
    std::lock_guard lock(check_mu_);
    return most_running_;
  }
  std::size_t running() { return inner_->stats().count(TaskStatus::RUNNING); }

  WriteResult write(const WriteBatch& batch) override {
    if (!batch.outcomes.empty()) {
      std::unique_lock lock(gate_mu_);
      gate_cv_.wait(lock, [this] { return open_; });
    }
    std::lock_guard lock(check_mu_);
    std::size_t asked = 0;
    for (const QueueClaim& c : batch.claims) asked += c.n;
    std::size_t before = running();
    std::size_t kept = before - std::min(before, batch.outcomes.size());
    most_requested_ = std::max(most_requested_, kept + asked);
    WriteResult r = inner_->write(batch);
    most_running_ = std::max(most_running_, running());
    return r;
  }

 private:
  std::mutex gate_mu_;
  std::condition_variable gate_cv_;
  bool open_ = false;
  mutable std::mutex check_mu_;
  std::size_t most_requested_ = 0, most_running_ = 0;
};

bool eventually(const std::function<bool()>& pred, milliseconds limit) {
  auto end = steady_clock::now() + limit;
  while (steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return pred();
}

// The prefetch under test: 0 (the default) and 2.
class WorkerClaimBudget : public ::testing::TestWithParam<std::size_t> {};

TEST_P(WorkerClaimBudget, UnrecordedOutcomesCountAgainstConcurrencyPlusPrefetch) {
  WorkerOptions o;
  o.concurrency = 2;
  o.prefetch = GetParam();
  o.poll_interval = milliseconds(5);
  const std::size_t budget = o.concurrency + o.prefetch;
  auto store = std::make_shared<GatedStorage>();
  Settings settings;
  settings.log_level = LogLevel::error;
  OmniQ oq(store, settings);
  std::atomic<std::size_t> runs{0};
  Registry registry;
  registry.add("job", [&runs] { ++runs; });
  for (int i = 0; i < 40; ++i) oq.enqueue("job");
  WorkerPool pool = oq.worker(registry, o);
  struct OpenAtExit {  // a stopping pool waits for its outcomes: never leave them blocked
    GatedStorage& s;
    ~OpenAtExit() { s.open_gate(); }
  } open_at_exit{*store};
  pool.start();

  // No outcome can be stored: the pool claims its budget, runs a task per
  // slot, and then takes nothing more.
  ASSERT_TRUE(eventually([&] { return runs.load() >= o.concurrency && store->running() >= budget; },
                         seconds(20)))
      << runs.load() << " tasks ran, " << store->running() << " are claimed";
  EXPECT_FALSE(eventually(
      [&] {
        return runs.load() > budget || pool.stats().claimed > budget || store->running() > budget;
      },
      milliseconds(500)))
      << runs.load() << " tasks ran, " << pool.stats().claimed << " were claimed";
  EXPECT_EQ(store->running(), budget);

  store->open_gate();
  ASSERT_TRUE(eventually([&] { return oq.stats().count(TaskStatus::SUCCESS) == 40; }, seconds(20)));
  pool.stop();
  EXPECT_EQ(runs.load(), 40u);
  EXPECT_LE(store->most_requested(), budget) << "a write asked for more claims than the budget";
  EXPECT_LE(store->most_running(), budget);
}

std::string prefetch_name(const ::testing::TestParamInfo<std::size_t>& p) {
  return "prefetch" + std::to_string(p.param);
}

INSTANTIATE_TEST_SUITE_P(Prefetch, WorkerClaimBudget,
                         ::testing::Values(std::size_t{0}, std::size_t{2}), prefetch_name);

}  // namespace
}  // namespace omniq::testing
