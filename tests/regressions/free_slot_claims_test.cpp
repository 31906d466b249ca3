// Regression: with prefetch 256 by default a pool held far more tasks
// RUNNING than it ran; another worker could not take them, and each counted
// an attempt before it started. Now a pool claims only for its free slots
// unless told to claim ahead.
#include <condition_variable>
#include <mutex>

#include "engine/engine_fixture.hpp"
#include "support/gate.hpp"
#include "support/store_calls.hpp"

namespace omniq::testing {
namespace {

using FreeSlotClaims = EngineTest;

TEST_P(FreeSlotClaims, APoolHoldsNoMoreTasksRunningThanItRuns) {
  EXPECT_EQ(WorkerOptions{}.prefetch, 0u);
  Gate gate;
  std::atomic<int> started{0};
  Registry r;
  r.add("slow", [&] {
    ++started;
    gate.wait();
    return 1;
  });
  WorkerOptions options = fast_options(2);
  options.prefetch = WorkerOptions{}.prefetch;
  start(std::move(r), options);
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(oq().enqueue("slow"));
  ASSERT_TRUE(eventually([&] { return started.load() == 2; }));
  std::this_thread::sleep_for(milliseconds(50));  // let any extra claim land
  QueueStats s = oq().stats();
  EXPECT_EQ(s.count(TaskStatus::RUNNING), 2u);
  EXPECT_EQ(s.count(TaskStatus::PENDING), 8u);
  // The waiting ones are free for another worker, and no attempt was counted for them.
  auto other = claim(*oq().storage(), clock_->now(), 3, seconds(30));
  EXPECT_EQ(other.size(), 3u);
  for (const Task& t : other) EXPECT_EQ(t.attempts, 1);
  gate.open();
  for (const Task& t : other) ids.erase(std::find(ids.begin(), ids.end(), t.id));
  for (const std::string& id : ids) EXPECT_EQ(wait_result(id).status, TaskStatus::SUCCESS);
}

INSTANTIATE_TEST_SUITE_P(Backends, FreeSlotClaims, ::testing::ValuesIn(all_backends()),
                         backend_name);

}  // namespace
}  // namespace omniq::testing
