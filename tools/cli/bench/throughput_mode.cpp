// `omniq bench --mode throughput`: N single enqueues (from P producer
// threads), N more in enqueue_many batches into a second store, then a pool
// of C workers drains that store; each phase timed on its own. With
// --baseline raw-sqlite, the hand-written loop runs in the same process: its
// single inserts between chunks of omniq's single enqueues, its batched
// inserts and drain after omniq's drain.
#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "bench_options.hpp"
#include "bench_store.hpp"
#include "drain_run.hpp"
#include "measure.hpp"
#include "progress.hpp"
#include "raw_sqlite.hpp"

namespace omniq::cli::bench {
namespace {

// Tasks [from, from + n) as single enqueue() calls through the blocking
// façade, from o.producers threads at once (their calls are group-committed).
// Returns seconds.
double time_single_enqueues(const BenchOptions& o, OmniQ& oq, std::size_t from, std::size_t n,
                            const std::string& payload, std::atomic<std::size_t>& done) {
  std::exception_ptr error;
  std::mutex error_mu;
  auto start = SteadyClock::now();
  std::vector<std::thread> threads;
  for (std::size_t w = 0; w < o.producers; ++w) {
    threads.emplace_back([&, w] {
      try {
        for (std::size_t i = from + w; i < from + n; i += o.producers) {
          oq.enqueue(kNoopTask, task_args(i, 0, payload));
          done.fetch_add(1, std::memory_order_relaxed);
        }
      } catch (...) {
        std::lock_guard lock(error_mu);
        error = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  double secs = seconds_since(start);
  if (error) std::rethrow_exception(error);
  return secs;
}

// The single enqueues, and with the baseline its one-insert-per-transaction
// loop, alternating in kRounds chunks so both see the same disk. Returns
// omniq's seconds, and the baseline's in `raw_secs`.
constexpr std::size_t kRounds = 10;
double time_singles(const BenchOptions& o, OmniQ& oq, std::size_t n, const std::string& payload,
                    const ScratchDir& dir, Progress& progress, double& raw_secs) {
  std::atomic<std::size_t> done{0};
  std::optional<RawSingleInserts> raw;
  if (o.raw_sqlite_baseline) raw.emplace(o, dir);
  progress.begin(raw ? "enqueue (single) + raw" : "enqueue (single)", n, done);
  double secs = 0;
  raw_secs = 0;
  for (std::size_t round = 0; round < kRounds; ++round) {
    std::size_t from = n * round / kRounds, to = n * (round + 1) / kRounds;
    secs += time_single_enqueues(o, oq, from, to - from, payload, done);
    if (raw) raw_secs += raw->insert(to - from);
  }
  progress.end();
  return secs;
}

}  // namespace

Json run_throughput(const BenchOptions& o, const ScratchDir& dir) {
  Json r = report_header(o);
  Progress progress(o.progress);
  const std::string payload(o.payload, 'x');
  const std::size_t singles = o.single_tasks > 0 ? o.single_tasks : o.tasks;
  if (o.backend != Backend::memory) r["fsync_ms"] = fsync_ms(dir.path());

  double raw_single_secs = 0;
  {  // single enqueues, in a store of their own
    Settings s = store_settings(o, dir.path(), "singles", o.durability);
    OmniQ oq(open_store(s), s);
    double secs = time_singles(o, oq, singles, payload, dir, progress, raw_single_secs);
    r["single_tasks"] = singles;
    r["enqueue_per_s"] = rounded(per_second(singles, secs));
  }
  dir.remove(store_file_name(o.backend, "singles"));

  Settings s = store_settings(o, dir.path(), "main", o.durability);
  OmniQ oq(open_store(s), s);
  double cpu_many = process_cpu_seconds();
  double many_secs = enqueue_in_batches(oq, o.tasks, o.batch, payload, "enqueue_many", progress);
  cpu_many = process_cpu_seconds() - cpu_many;
  r["enqueue_many_per_s"] = rounded(per_second(o.tasks, many_secs));
  r["enqueue_many_cpu_us_per_task"] = rounded(cpu_many * 1e6 / static_cast<double>(o.tasks));

  DrainRun run(oq, noop_registry(o.handler), worker_options(o));
  progress.begin("drain", o.tasks, run.finished());
  double cpu = process_cpu_seconds();
  run.start();
  double drain_secs = run.wait_for(o.tasks);
  cpu = process_cpu_seconds() - cpu;
  progress.end();
  run.stop();
  WorkerStats ws = run.stats();
  r["drain_per_s"] = rounded(per_second(o.tasks, drain_secs));
  r["drain_seconds"] = rounded(drain_secs);
  r["drain_cpu_us_per_task"] = rounded(cpu * 1e6 / static_cast<double>(o.tasks));
  r["succeeded"] = ws.succeeded;
  r["failed"] = ws.failed;
  r["peak_rss_mb"] = rounded(peak_rss_mb());
  if (o.raw_sqlite_baseline) {
    Json b = run_raw_sqlite(o, dir);
    b["single_insert_per_s"] = rounded(per_second(singles, raw_single_secs));
    r["baseline"] = b;
    add_baseline_ratios(r);
  }
  return r;
}

}  // namespace omniq::cli::bench
