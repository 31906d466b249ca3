// Growth: a long drain does not make a worker grow, and results past their
// TTL are purged by the worker's own periodic maintenance, so neither memory
// nor the store grows without bound.
#include <algorithm>

#include "reliability/fault_fixture.hpp"
#include "support/backends.hpp"
#include "support/store_calls.hpp"

namespace omniq::reliability {
namespace {

using Growth = FaultTest;

// A worker process drains many tasks (200,000 in the soak, 50,000 with
// durability off otherwise). Its resident memory after a warm-up tenth is
// the start; at the end it must not exceed start + 32 MiB, which is far
// below what keeping anything per task would cost (200+ bytes x 45,000).
TEST_P(Growth, WorkerMemoryStaysFlatOverALongDrainAndExpiredResultsArePurged) {
  const std::size_t n = soak() ? 200000 : (file_backend() ? 10000 : 50000);
  auto store = open_store(Durability::off);
  Settings settings;
  std::vector<Task> batch;
  for (std::size_t i = 0; i < n; ++i) {
    batch.push_back(make_task("noop", Value::array(), {}, settings, system_clock()->now()));
    if (batch.size() == 1000 || i + 1 == n) {
      enqueue_many(*store, batch);
      batch.clear();
    }
  }
  auto t_enqueued = steady_clock::now();
  WorkerArgs args;
  args.durability = "off";
  args.prefetch = 64;
  args.lease_ms = 30000;
  auto worker = start_worker(args, "--result-ttl-ms=3000");

  // Progress: tasks no longer waiting or running. The file store's stats()
  // reads every file, so its progress is counted from the names in queue/.
  auto in_queue = [&](bool finished_too) {
    std::size_t count = 0;
    for (const auto& e : fs::directory_iterator(store_path() / "queue")) {
      count += finished_too || e.path().extension() != ".done" ? 1 : 0;
    }
    return count;
  };
  auto succeeded_or_purged = [&] {
    if (file_backend()) return n - in_queue(false);
    QueueStats s = store->stats();
    return n - (s.count(TaskStatus::PENDING) + s.count(TaskStatus::RUNNING));
  };
  auto left = [&] { return file_backend() ? in_queue(true) : store->stats().total(); };
  ASSERT_TRUE(
      wait_until([&] { return succeeded_or_purged() >= n / 10; }, minutes(10), milliseconds(250)))
      << tail(log());
  const long start_kib = rss_kib(worker->pid());
  long peak_kib = start_kib;
  ASSERT_TRUE(wait_until(
      [&] {
        peak_kib = std::max(peak_kib, rss_kib(worker->pid()));
        return succeeded_or_purged() == n;
      },
      minutes(soak() ? 60 : 10), milliseconds(250)))
      << tail(log());
  const long end_kib = rss_kib(worker->pid());
  auto t_drained = steady_clock::now();
  std::printf(
      "[ growth ] %s: %zu tasks; worker RSS %ld KiB after 10%%, %ld KiB at the end, "
      "%ld KiB at most\n",
      GetParam().c_str(), n, start_kib, end_kib, peak_kib);
  EXPECT_LE(end_kib, start_kib + 32 * 1024);

  // Finished tasks and their results go once their TTL (3 s) has passed.
  EXPECT_TRUE(wait_until([&] { return left() == 0; }, seconds(120), milliseconds(250)))
      << left() << " tasks left";
  std::printf("[ growth ] drained in %.1f s, purged %.1f s later\n",
              duration<double>(t_drained - t_enqueued).count(),
              duration<double>(steady_clock::now() - t_drained).count());
  worker->signal(SIGTERM);
  EXPECT_EQ(worker->wait(), 0);
  store->close();
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Growth);
INSTANTIATE_TEST_SUITE_P(Backends, Growth, ::testing::ValuesIn(fault_backends()),
                         backend_param_name);

// The same purge, with a ManualClock: a result goes only once it is older
// than result_ttl, and the worker's maintenance does it without being asked.
class Purge : public ::testing::TestWithParam<testing::BackendFactory> {};

TEST_P(Purge, ResultsPastTheirTtlArePurgedByTheWorkersMaintenanceAndNoSooner) {
  testing::TempDir dir;
  auto clock = std::make_shared<ManualClock>(sys_days{2026y / November / 26} + 6h);
  Settings settings;
  settings.log_level = LogLevel::error;
  settings.result_ttl = hours(1);
  OmniQ oq(GetParam().open(dir.path()), settings, clock);
  Registry registry;
  registry.add("job", [](int x) { return x; });
  WorkerOptions o;
  o.poll_interval = milliseconds(5);
  o.maintenance_interval = milliseconds(20);
  WorkerPool pool = oq.worker(registry, o);
  pool.start();

  auto run = [&](int count) {
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) ids.push_back(oq.enqueue("job", Value::array({i})));
    for (const auto& id : ids) {
      EXPECT_TRUE(oq.get_result(id, {.wait = true, .timeout = seconds(30)}).has_value());
    }
    return ids;
  };
  auto old_ids = run(10);
  clock->advance(minutes(30));
  auto young_ids = run(10);
  clock->advance(minutes(31));  // the first ten are 61 minutes old, the others 31
  ASSERT_TRUE(wait_until([&] {
    return std::none_of(old_ids.begin(), old_ids.end(),
                        [&](const std::string& id) { return oq.get_result(id).has_value(); });
  })) << "results past their TTL were not purged";
  EXPECT_FALSE(oq.get_task(old_ids.front()).has_value());
  for (const auto& id : young_ids) EXPECT_TRUE(oq.get_result(id).has_value()) << id;
  EXPECT_EQ(oq.stats().total(), young_ids.size());
  pool.stop();
}

INSTANTIATE_TEST_SUITE_P(Backends, Purge, ::testing::ValuesIn(testing::all_backends()),
                         testing::backend_name);

}  // namespace
}  // namespace omniq::reliability
