// FileStorage throughput, single process. Disabled by default (it measures,
// it does not assert); run with
//   ./build/tests/omniq_storage_tests --gtest_also_run_disabled_tests
//       --gtest_filter='*FileStorageThroughput*'
// Set OMNIQ_BENCH_DIR to measure on another file system than $TMPDIR, and
// OMNIQ_BENCH_SIZES (default "10000,100000") to choose the drains measured:
// a drain that costs O(N) runs at about the same rate at every size.
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "storage/file_test_util.hpp"

namespace omniq::testing {
namespace {

constexpr int kSingles = 10000;
constexpr std::size_t kBatch = 100;

double per_second(std::size_t n, steady_clock::time_point start) {
  return static_cast<double>(n) / duration<double>(steady_clock::now() - start).count();
}

std::vector<std::size_t> drain_sizes() {
  const char* text = std::getenv("OMNIQ_BENCH_SIZES");
  std::stringstream in(text ? text : "10000,100000");
  std::vector<std::size_t> out;
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoul(item));
  return out;
}

std::vector<Task> bench_tasks(std::size_t n) {
  std::vector<Task> tasks;
  tasks.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    tasks.push_back(file_task("bench", microseconds(static_cast<long>(i))));
  }
  return tasks;
}

// Claims kBatch tasks at a time and finishes each batch with one finish_many.
std::size_t drain(FileStorage& store) {
  std::size_t drained = 0;
  for (;;) {
    auto claimed = store.dequeue_many(kF0 + seconds(1), kBatch, kFLease);
    if (claimed.empty()) return drained;
    std::vector<Outcome> outs;
    for (const Task& c : claimed) outs.push_back(success_of(c, Value(1), kF0 + seconds(2)));
    store.finish_many(outs);
    drained += claimed.size();
  }
}

void measure(Durability d) {
  const char* where = std::getenv("OMNIQ_BENCH_DIR");
  TempDir scratch;
  fs::path root = where ? fs::path(where) : scratch.path();
  auto fresh = [&](const std::string& name) {
    fs::remove_all(root / name);
    return FileStorage(file_options(root / name, d));
  };
  std::string level(to_string(d));

  {
    std::vector<Task> tasks = bench_tasks(kSingles);
    FileStorage singles = fresh("singles");
    auto t0 = steady_clock::now();
    for (const Task& t : tasks) singles.enqueue(t);
    std::printf("durability=%s: enqueue %.0f/s (%d tasks)\n", level.c_str(),
                per_second(tasks.size(), t0), kSingles);
  }
  fs::remove_all(root / "singles");

  for (std::size_t n : drain_sizes()) {
    std::vector<Task> tasks = bench_tasks(n);
    FileStorage batched = fresh("batched");
    auto t0 = steady_clock::now();
    for (std::size_t i = 0; i < tasks.size(); i += kBatch) {
      batched.enqueue_many(std::span<const Task>(tasks).subspan(i, std::min(kBatch, n - i)));
    }
    double enqueue_many_rate = per_second(n, t0);
    t0 = steady_clock::now();
    std::size_t drained = drain(batched);
    double drain_rate = per_second(drained, t0);
    EXPECT_EQ(drained, n);
    std::printf("durability=%s tasks=%zu: enqueue_many(100) %.0f/s, drain %.0f/s\n", level.c_str(),
                n, enqueue_many_rate, drain_rate);
    std::fflush(stdout);
    batched.close();
    fs::remove_all(root / "batched");
  }
}

TEST(FileStorageThroughput, DISABLED_DurabilityFull) {
  measure(Durability::full);
}
TEST(FileStorageThroughput, DISABLED_DurabilityOff) {
  measure(Durability::off);
}

}  // namespace
}  // namespace omniq::testing
