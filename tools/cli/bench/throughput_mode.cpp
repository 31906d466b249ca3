// `omniq bench --mode throughput`: N single enqueues (from P producer
// threads), N more in enqueue_many batches into a second store, then a pool
// of C workers drains that store; each phase timed on its own. With
// --baseline raw-sqlite (or raw-postgres), the hand-written loop runs in the
// same process: its single inserts between chunks of omniq's single
// enqueues, its batched inserts and drain after omniq's drain. On PostgreSQL
// the report also holds the server's commit rate, the bound under single
// durable enqueues, taken first (commit_per_s) and again last
// (commit_per_s_end: the disk's speed drifts). With --workers N, N-1 more
// processes (forked first, while this one has a single thread) drain the
// same store beside this one, and the drain ends when the store holds every
// result.
#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "bench_options.hpp"
#include "bench_store.hpp"
#include "child_producer.hpp"
#include "drain_run.hpp"
#include "measure.hpp"
#include "pg_scratch.hpp"
#include "progress.hpp"
#include "raw_postgres.hpp"
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
// Single-row commits the server's commit rate is taken over.
constexpr std::size_t kCommitProbe = 300;
double time_singles(const BenchOptions& o, OmniQ& oq, std::size_t n, const std::string& payload,
                    const ScratchDir& dir, Progress& progress, double& raw_secs) {
  std::atomic<std::size_t> done{0};
  std::optional<RawSingleInserts> raw;
  std::optional<RawPgSingleInserts> raw_pg;
  if (o.raw_sqlite_baseline) raw.emplace(o, dir);
  if (o.raw_postgres_baseline) raw_pg.emplace(o);
  progress.begin(raw || raw_pg ? "enqueue (single) + raw" : "enqueue (single)", n, done);
  double secs = 0;
  raw_secs = 0;
  for (std::size_t round = 0; round < kRounds; ++round) {
    std::size_t from = n * round / kRounds, to = n * (round + 1) / kRounds;
    secs += time_single_enqueues(o, oq, from, to - from, payload, done);
    if (raw) raw_secs += raw->insert(to - from);
    if (raw_pg) raw_secs += raw_pg->insert(to - from);
  }
  progress.end();
  return secs;
}

// Waits until the store holds n SUCCESS tasks; returns the seconds since `start`.
double wait_for_store(OmniQ& oq, std::size_t n, SteadyClock::time_point start) {
  std::size_t seen = 0;
  auto changed = SteadyClock::now();
  for (;;) {
    std::size_t done = oq.stats().count(TaskStatus::SUCCESS);
    if (done >= n) return seconds_since(start);
    if (done != seen) {
      seen = done;
      changed = SteadyClock::now();
    } else if (seconds_since(changed) > 60) {
      throw std::runtime_error("the drain made no progress for 60 s (" + std::to_string(done) +
                               " of " + std::to_string(n) + " done)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// The other drain processes of --workers: each runs a pool on the main store
// from go() until the store holds every result.
std::vector<std::unique_ptr<ChildProducer>> fork_workers(const BenchOptions& o, Settings s) {
  std::vector<std::unique_ptr<ChildProducer>> out;
  for (std::size_t w = 1; w < o.workers; ++w) {
    out.push_back(std::make_unique<ChildProducer>([&o, s] {
      OmniQ oq(open_store(s), s);
      DrainRun run(oq, noop_registry(o.handler), worker_options(o));
      run.start();
      wait_for_store(oq, o.tasks, SteadyClock::now());
      run.stop();
    }));
  }
  return out;
}

}  // namespace

Json run_throughput(const BenchOptions& o, const ScratchDir& dir) {
  auto workers = fork_workers(o, store_settings(o, dir.path(), "main", o.durability));
  Json r = report_header(o);
  r["worker_processes"] = o.workers;
  Progress progress(o.progress);
  const std::string payload(o.payload, 'x');
  const std::size_t singles = o.single_tasks > 0 ? o.single_tasks : o.tasks;
  if (o.backend == Backend::postgres) {
    r["commit_per_s"] = rounded(pg_commit_rate(o.db_url, kCommitProbe));
  } else if (o.backend != Backend::memory) {
    r["fsync_ms"] = fsync_ms(dir.path());
  }

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
  auto start = SteadyClock::now();
  run.start();
  for (auto& w : workers) w->go();
  double drain_secs = workers.empty() ? run.wait_for(o.tasks) : wait_for_store(oq, o.tasks, start);
  cpu = process_cpu_seconds() - cpu;
  for (auto& w : workers) {
    if (!w->wait()) throw std::runtime_error("a drain worker process failed");
  }
  progress.end();
  run.stop();
  WorkerStats ws = run.stats();
  r["drain_per_s"] = rounded(per_second(o.tasks, drain_secs));
  r["drain_seconds"] = rounded(drain_secs);
  r["drain_cpu_us_per_task"] = rounded(cpu * 1e6 / static_cast<double>(o.tasks));  // this process
  r["succeeded"] = ws.succeeded;  // by this process
  r["failed"] = ws.failed;
  r["peak_rss_mb"] = rounded(peak_rss_mb());
  if (o.raw_sqlite_baseline || o.raw_postgres_baseline) {
    Json b = o.raw_sqlite_baseline ? run_raw_sqlite(o, dir) : run_raw_postgres(o);
    b["single_insert_per_s"] = rounded(per_second(singles, raw_single_secs));
    r["baseline"] = b;
    add_baseline_ratios(r);
  }
  // The disk may have changed speed meanwhile: the rate again, at the end.
  if (o.backend == Backend::postgres) {
    r["commit_per_s_end"] = rounded(pg_commit_rate(o.db_url, kCommitProbe));
  }
  return r;
}

}  // namespace omniq::cli::bench
