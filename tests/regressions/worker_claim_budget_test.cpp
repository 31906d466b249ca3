// Regression (found by the kill test, tests/reliability/kill_test.cpp): the
// worker's claim budget of concurrency + prefetch ignored outcomes still being
// written. With a slow store, finished tasks piled up unrecorded while the
// worker kept claiming and running more, so a crash could run far more than
// concurrency + prefetch tasks again. Now a task counts against the budget
// until its outcome is stored.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "omniq/omniq.hpp"

namespace omniq::testing {
namespace {

using namespace std::chrono;

// A MemoryStorage whose finish_many waits until the gate opens.
class GatedStorage final : public Storage {
 public:
  void open_gate() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

  std::string enqueue(const Task& t) override { return inner_.enqueue(t); }
  std::vector<std::string> enqueue_many(std::span<const Task> t) override {
    return inner_.enqueue_many(t);
  }
  std::vector<Task> dequeue_many(Timestamp now, std::size_t n, Duration lease) override {
    return inner_.dequeue_many(now, n, lease);
  }
  Task mark_running(std::string_view id, Timestamp now, Duration lease) override {
    return inner_.mark_running(id, now, lease);
  }
  std::vector<bool> finish_many(std::span<const Outcome> outcomes) override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return open_; });
    return inner_.finish_many(outcomes);
  }
  void reschedule(std::string_view id, Timestamp eta) override { inner_.reschedule(id, eta); }
  CancelResult cancel(std::string_view id, Timestamp now) override {
    return inner_.cancel(id, now);
  }
  std::vector<Claim> renew_leases(std::span<const Claim> c, Timestamp until) override {
    return inner_.renew_leases(c, until);
  }
  void release(std::span<const Claim> c, Timestamp now) override { inner_.release(c, now); }
  std::optional<Task> get_task(std::string_view id) override { return inner_.get_task(id); }
  std::optional<TaskResult> get_result(std::string_view id) override {
    return inner_.get_result(id);
  }
  std::vector<Task> list_tasks(const TaskFilter& f) override { return inner_.list_tasks(f); }
  QueueStats stats() override { return inner_.stats(); }
  std::optional<Timestamp> next_eta() override { return inner_.next_eta(); }
  std::size_t purge_results(Timestamp t) override { return inner_.purge_results(t); }
  std::size_t recover_expired(Timestamp now) override { return inner_.recover_expired(now); }
  std::uint64_t change_counter() override { return inner_.change_counter(); }
  void close() override { inner_.close(); }

 private:
  MemoryStorage inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

bool eventually(const std::function<bool()>& pred, milliseconds limit) {
  auto end = steady_clock::now() + limit;
  while (steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return pred();
}

TEST(WorkerClaimBudget, UnrecordedOutcomesCountAgainstConcurrencyPlusPrefetch) {
  auto store = std::make_shared<GatedStorage>();
  Settings settings;
  settings.log_level = LogLevel::error;
  OmniQ oq(store, settings);
  std::atomic<int> runs{0};
  Registry registry;
  registry.add("job", [&runs] { ++runs; });
  WorkerOptions o;
  o.concurrency = 2;
  o.prefetch = 2;
  o.poll_interval = milliseconds(5);
  o.watch_interval = milliseconds(1);
  for (int i = 0; i < 40; ++i) oq.enqueue("job");
  WorkerPool pool = oq.worker(registry, o);
  struct OpenAtExit {  // a stopping pool waits for its outcomes: never leave them blocked
    GatedStorage& s;
    ~OpenAtExit() { s.open_gate(); }
  } open_at_exit{*store};
  pool.start();

  // No outcome can be stored: at most concurrency + prefetch tasks are taken.
  ASSERT_TRUE(eventually([&] { return runs.load() >= 4; }, seconds(20)));
  EXPECT_FALSE(
      eventually([&] { return runs.load() > 4 || pool.stats().claimed > 4; }, milliseconds(500)))
      << runs.load() << " tasks ran, " << pool.stats().claimed << " were claimed";

  store->open_gate();
  ASSERT_TRUE(eventually([&] { return oq.stats().count(TaskStatus::SUCCESS) == 40; }, seconds(20)));
  EXPECT_EQ(runs.load(), 40);
  pool.stop();
}

}  // namespace
}  // namespace omniq::testing
