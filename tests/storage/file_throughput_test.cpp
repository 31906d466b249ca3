// FileStorage throughput, single process. Disabled by default (it measures,
// it does not assert); run with
//   ./build/tests/omniq_storage_tests --gtest_also_run_disabled_tests
//       --gtest_filter='*FileStorageThroughput*'
// Set OMNIQ_BENCH_DIR to measure on another file system than $TMPDIR.
#include <cstdio>
#include <cstdlib>

#include "storage/file_test_util.hpp"

namespace omniq::testing {
namespace {

constexpr int kTasks = 10000;
constexpr std::size_t kBatch = 100;

double per_second(int n, steady_clock::time_point start) {
  return n / duration<double>(steady_clock::now() - start).count();
}

void measure(Durability d) {
  const char* where = std::getenv("OMNIQ_BENCH_DIR");
  TempDir scratch;
  fs::path root = where ? fs::path(where) : scratch.path();
  auto fresh = [&](const std::string& name) {
    fs::remove_all(root / name);
    return FileStorage(file_options(root / name, d));
  };
  std::vector<Task> tasks;
  for (int i = 0; i < kTasks; ++i) tasks.push_back(file_task("bench", microseconds(i)));

  FileStorage singles = fresh("singles");
  auto t0 = steady_clock::now();
  for (const Task& t : tasks) singles.enqueue(t);
  double enqueue_rate = per_second(kTasks, t0);

  FileStorage batched = fresh("batched");
  t0 = steady_clock::now();
  for (std::size_t i = 0; i < tasks.size(); i += kBatch) {
    batched.enqueue_many(std::span<const Task>(tasks).subspan(i, kBatch));
  }
  double enqueue_many_rate = per_second(kTasks, t0);

  t0 = steady_clock::now();
  int drained = 0;
  for (;;) {
    auto claimed = batched.dequeue_many(kF0 + seconds(1), kBatch, kFLease);
    if (claimed.empty()) break;
    std::vector<Outcome> outs;
    for (const Task& c : claimed) outs.push_back(success_of(c, Value(1), kF0 + seconds(2)));
    batched.finish_many(outs);
    drained += static_cast<int>(claimed.size());
  }
  double drain_rate = per_second(drained, t0);
  EXPECT_EQ(drained, kTasks);
  std::printf("durability=%s: enqueue %.0f/s, enqueue_many(100) %.0f/s, drain %.0f/s\n",
              std::string(to_string(d)).c_str(), enqueue_rate, enqueue_many_rate, drain_rate);
  fs::remove_all(root / "singles");
  fs::remove_all(root / "batched");
}

TEST(FileStorageThroughput, DISABLED_DurabilityFull) {
  measure(Durability::full);
}
TEST(FileStorageThroughput, DISABLED_DurabilityOff) {
  measure(Durability::off);
}

}  // namespace
}  // namespace omniq::testing
