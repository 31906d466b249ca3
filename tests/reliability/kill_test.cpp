// Kill test: worker processes are SIGKILLed at random and restarted for the
// whole drain, and nothing is lost, nothing is left RUNNING, and the store
// stays sound. Every run of a task is recorded in a side file by its handler,
// so duplicate runs (at-least-once) are counted and reported.
//
// The bound asserted on duplicates: a killed worker held at most
// concurrency + prefetch claims, and only tasks it held can run again because
// of that kill, so duplicates <= kills * (concurrency + prefetch).
#include <random>
#include <thread>

#include "reliability/fault_fixture.hpp"
#include "support/store_calls.hpp"

namespace omniq::reliability {
namespace {

struct KillRun {
  int tasks = 5000;
  int workers = 3;
  milliseconds kill_every = milliseconds(200);
  milliseconds limit = seconds(150);  // drain must finish within this
};

KillRun kill_run() {
  KillRun r;
  if (soak()) {
    r.tasks = 50000;
    r.limit = minutes(30);
  }
  return r;
}

using KillTest = FaultTest;

TEST_P(KillTest, RandomSigkillsDuringTheDrainLoseNothingAndDuplicatesStayBounded) {
  const KillRun run = kill_run();
  const WorkerArgs args;  // concurrency 4, prefetch 4, lease 1.5 s, maintenance 250 ms,
                          // backoff 50 ms..1 s
  auto store = open_store();

  // The producer enqueues while the workers already drain and get killed.
  std::vector<Task> tasks = rec_tasks(run.tasks);
  std::vector<std::string> ids;
  for (const Task& t : tasks) ids.push_back(t.id);
  std::atomic<bool> produced{false};
  std::thread producer([&] {
    for (std::size_t i = 0; i < tasks.size(); i += 250) {
      std::span<const Task> chunk(tasks.data() + i, std::min<std::size_t>(250, tasks.size() - i));
      enqueue_many(*store, chunk);
    }
    produced = true;
  });

  std::vector<std::unique_ptr<Process>> workers;
  for (int w = 0; w < run.workers; ++w) workers.push_back(start_worker(args));
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  std::printf("[ kill test ] %s: seed %u\n", GetParam().c_str(), seed);

  auto t0 = steady_clock::now();
  int kills = 0, tick = 0;
  bool drained = false;
  while (steady_clock::now() - t0 < run.limit) {
    std::this_thread::sleep_for(run.kill_every);  // the kill cadence, not a synchronisation
    if (produced && ++tick % 5 == 0 &&
        store->stats().count(TaskStatus::SUCCESS) == static_cast<std::size_t>(run.tasks)) {
      drained = true;
      break;
    }
    auto& victim = workers[rng() % workers.size()];
    victim->signal(SIGKILL);
    EXPECT_EQ(victim->wait(), -SIGKILL);
    ++kills;
    victim = start_worker(args);
  }
  double secs = duration<double>(steady_clock::now() - t0).count();
  producer.join();
  for (auto& w : workers) w->signal(SIGTERM);
  for (auto& w : workers) EXPECT_EQ(w->wait(), 0) << "a worker did not stop cleanly";
  ASSERT_TRUE(drained) << "not drained after " << secs << " s; stats: SUCCESS "
                       << store->stats().count(TaskStatus::SUCCESS) << "\n"
                       << tail(log());

  expect_all_succeeded(*store, ids);
  auto runs = side_counts(side());
  std::size_t never = 0, duplicates = 0, foreign = runs.size();
  for (const std::string& id : ids) {
    auto it = runs.find(id);
    if (it == runs.end()) {
      ++never;
      continue;
    }
    --foreign;
    if (it->second > 1) {
      duplicates += static_cast<std::size_t>(it->second - 1);
      std::printf("[ kill test ] duplicate: %s ran %d times\n", id.c_str(), it->second);
    }
  }
  EXPECT_EQ(never, 0u) << "tasks SUCCESS without their handler having run";
  EXPECT_EQ(foreign, 0u);
  const std::size_t bound =
      static_cast<std::size_t>(kills) * static_cast<std::size_t>(args.concurrency + args.prefetch);
  std::printf(
      "[ kill test ] %s: %d tasks, %d workers, %d kills, %zu duplicate runs (bound %zu), "
      "drained in %.1f s\n",
      GetParam().c_str(), run.tasks, run.workers, kills, duplicates, bound, secs);
  std::size_t lost = 0, recovered = 0;
  {
    std::ifstream in(log());
    for (std::string line; std::getline(in, line);) {
      lost += line.find("lease was lost") != std::string::npos ? 1 : 0;
      recovered += line.find("whose worker was lost") != std::string::npos ? 1 : 0;
    }
  }
  std::printf(
      "[ kill test ] %s: %zu recovery passes gave tasks back; %zu outcomes refused "
      "for a lost lease\n",
      GetParam().c_str(), recovered, lost);
  RecordProperty("kills", kills);
  RecordProperty("duplicates", static_cast<int>(duplicates));
  EXPECT_LE(duplicates, bound);
  EXPECT_GT(kills, 0);
  store->close();
  expect_store_sound(ids.size());
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(KillTest);
INSTANTIATE_TEST_SUITE_P(Backends, KillTest, ::testing::ValuesIn(fault_backends()),
                         backend_param_name);

}  // namespace
}  // namespace omniq::reliability
