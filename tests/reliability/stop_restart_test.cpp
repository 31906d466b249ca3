// Stop and restart: SIGTERM reaches a worker process with tasks running and
// more claimed ahead. It finishes the running ones, gives the claimed ones
// back, exits 0 leaving nothing RUNNING; a restarted worker completes the
// rest, no task runs twice, and none is recovered as lost.
#include "reliability/fault_fixture.hpp"

#include "support/store_calls.hpp"

namespace omniq::reliability {
namespace {

using StopRestart = FaultTest;

TEST_P(StopRestart, SigtermWithTasksInFlightThenRestartCompletesEverythingOnce) {
  const int n = soak() ? 2000 : 200;
  WorkerArgs args;
  args.sleep_ms = 100;  // long enough that tasks are surely in flight at SIGTERM
  args.prefetch = 8;
  args.lease_ms = 30000;  // a lease never runs out here: nothing may be recovered
  auto store = open_store();
  std::vector<std::string> ids;
  for (const Enqueued& e : enqueue_many(*store, rec_tasks(n))) ids.push_back(e.id);

  for (int round = 0; round < 3; ++round) {
    auto worker = start_worker(args);
    // Wait until this worker has started a few more tasks, then stop it.
    std::size_t before = line_count(side());
    ASSERT_TRUE(wait_until([&] { return line_count(side()) >= before + 6; }))
        << "the worker started no task\n"
        << tail(log());
    worker->signal(SIGTERM);
    EXPECT_EQ(worker->wait(), 0) << tail(log());
    QueueStats s = store->stats();
    EXPECT_EQ(s.count(TaskStatus::RUNNING), 0u) << "round " << round;
    EXPECT_EQ(s.count(TaskStatus::SUCCESS), line_count(side())) << "round " << round;
    ASSERT_LT(s.count(TaskStatus::SUCCESS), static_cast<std::size_t>(n)) << "drained too early";
  }

  auto worker = start_worker(args);
  ASSERT_TRUE(wait_until(
      [&] { return store->stats().count(TaskStatus::SUCCESS) == static_cast<std::size_t>(n); },
      seconds(soak() ? 600 : 120)))
      << tail(log());
  worker->signal(SIGTERM);
  EXPECT_EQ(worker->wait(), 0);

  expect_all_succeeded(*store, ids);
  auto runs = side_counts(side());
  EXPECT_EQ(runs.size(), ids.size());
  // A claim given back unstarted still counts in attempts (so that (id,
  // attempt) names one claim for good): a task's attempts beyond the one that
  // ran are its claims given back, at most what a stopped worker held ahead.
  // None was recovered as lost (that would leave a WorkerLost error).
  std::size_t given_back = 0;
  for (const std::string& id : ids) {
    EXPECT_EQ(runs[id], 1) << id << " ran more than once, or never";
    auto r = store->get_result(id);
    ASSERT_TRUE(r.has_value()) << id;
    given_back += static_cast<std::size_t>(r->attempts - 1);
    EXPECT_FALSE(store->get_task(id)->error.has_value()) << id << " failed or was recovered";
  }
  std::printf("[ stop/restart ] %s: %zu claims given back unstarted over 3 stops\n",
              GetParam().c_str(), given_back);
  EXPECT_LE(given_back, static_cast<std::size_t>(3 * (args.concurrency + args.prefetch)));
  store->close();
  expect_store_sound(ids.size());
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StopRestart);
INSTANTIATE_TEST_SUITE_P(Backends, StopRestart, ::testing::ValuesIn(fault_backends()),
                         backend_param_name);

}  // namespace
}  // namespace omniq::reliability
