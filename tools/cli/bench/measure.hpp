// Small measuring helpers for `omniq bench`: clocks, memory, percentiles,
// the disk's own fsync time (the floor under any durable commit), and
// RssSampler, which samples this process's resident memory every `interval`
// on a thread of its own while a phase runs, so a report can say whether
// memory stayed flat (first, largest and last sample).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_options.hpp"

namespace omniq::cli::bench {

using SteadyClock = std::chrono::steady_clock;

// Seconds since `start`.
double seconds_since(SteadyClock::time_point start);
// n / seconds, or 0 when nothing was timed.
double per_second(std::size_t n, double seconds);

// CLOCK_REALTIME in nanoseconds: the stamp a producer in any process on this
// machine can put into a task for its handler to compare with.
std::int64_t realtime_ns();

// CPU time (user + system, all threads) this process has used, in seconds:
// a figure per task that the other load on a shared machine disturbs far
// less than a rate.
double process_cpu_seconds();

// The most memory this process has held (getrusage ru_maxrss), in MiB.
double peak_rss_mb();
// The memory this process holds now (/proc/self/statm), in MiB.
double current_rss_mb();
// Gives freed heap memory back to the system, so current_rss_mb() shows what
// is in use rather than what an earlier phase left in malloc's free lists.
void trim_heap();

// p50, p90, p99, max and mean of `values_ms` (sorted in place), as JSON fields
// named prefix + "p50_ms" etc. Empty input gives nulls.
void add_percentiles(Json& out, const std::string& prefix, std::vector<double>& values_ms);

// The median time of `rounds` 4 KiB write + fdatasync() pairs in `dir`, in
// milliseconds: what one durable commit costs at least on this disk.
double fsync_ms(const std::string& dir, int rounds = 20);

// Times a hand-written loop's two phases as omniq's are timed:
// `insert_batch(first, n)` writes tasks first..first+n-1 in one transaction,
// called for o.tasks tasks in batches of o.batch; then `drain_step()` claims
// and completes up to one batch and returns how many, until none is left.
// Sets enqueue_per_s and enqueue_many_per_s (both the batched insert phase),
// enqueue_many_cpu_us_per_task, drain_per_s, drain_cpu_us_per_task, drained.
void time_raw_loop(const BenchOptions& o, Json& r,
                   const std::function<void(std::size_t first, std::size_t n)>& insert_batch,
                   const std::function<std::size_t()>& drain_step);

// Rounds for display and JSON: 3 significant decimals below 10, whole above.
double rounded(double v);

class RssSampler {
 public:
  explicit RssSampler(std::chrono::milliseconds interval = std::chrono::milliseconds(100));
  ~RssSampler();  // stop()
  RssSampler(const RssSampler&) = delete;
  RssSampler& operator=(const RssSampler&) = delete;

  // Stops sampling (takes one last sample). Idempotent.
  void stop();

  // In MiB. REQUIRES: stop() was called.
  double first_mb() const { return first_; }
  double max_mb() const { return max_; }
  double last_mb() const { return last_; }

 private:
  void sample();

  std::chrono::milliseconds interval_;
  double first_ = 0, max_ = 0, last_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace omniq::cli::bench
