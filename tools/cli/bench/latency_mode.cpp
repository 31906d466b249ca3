// `omniq bench --mode latency`: an idle pool, then --samples enqueues at
// random gaps, first from this process and then from a second one. Each task
// carries its producer's CLOCK_REALTIME send time (stamped just before the
// enqueue call); the handler subtracts it from the time it starts, so a
// figure is enqueue (including its durable commit) -> handler start.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "bench_options.hpp"
#include "bench_store.hpp"
#include "child_producer.hpp"
#include "drain_run.hpp"
#include "measure.hpp"
#include "pg_scratch.hpp"
#include "progress.hpp"

namespace omniq::cli::bench {
namespace {

// Enqueue -> start delays seen by the handlers.
class Delays {
 public:
  void add(double ms) {
    std::lock_guard lock(mu_);
    ms_.push_back(ms);
    count_.store(ms_.size(), std::memory_order_relaxed);
    cv_.notify_all();
  }
  // Waits until n delays are in; throws after `limit` without them.
  std::vector<double> take(std::size_t n, std::chrono::seconds limit) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, limit, [&] { return ms_.size() >= n; })) {
      throw std::runtime_error("only " + std::to_string(ms_.size()) + " of " + std::to_string(n) +
                               " latency tasks started within " + std::to_string(limit.count()) +
                               " s");
    }
    std::vector<double> out = std::move(ms_);
    ms_.clear();
    count_.store(0);
    return out;
  }
  const std::atomic<std::size_t>& count() const { return count_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<double> ms_;
  std::atomic<std::size_t> count_{0};
};

// Enqueues o.samples tasks with send stamps at random gaps; returns how long
// each enqueue call took, in ms.
std::vector<double> produce(const BenchOptions& o, OmniQ& oq, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> gap_ms(0.0, o.max_gap_ms);
  const std::string payload(o.payload, 'x');
  std::vector<double> call_ms;
  call_ms.reserve(o.samples);
  for (std::size_t i = 0; i < o.samples; ++i) {
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(gap_ms(rng)));
    auto start = SteadyClock::now();
    oq.enqueue(kNoopTask, task_args(i, realtime_ns(), payload));
    call_ms.push_back(seconds_since(start) * 1000.0);
  }
  return call_ms;
}

std::chrono::seconds time_limit(const BenchOptions& o) {
  return std::chrono::seconds(30) +
         std::chrono::seconds(static_cast<long>(o.samples * o.max_gap_ms / 1000.0 * 2));
}

}  // namespace

Json run_latency(const BenchOptions& o, const ScratchDir& dir) {
  Json r = report_header(o);
  r["samples"] = o.samples;
  r["max_gap_ms"] = o.max_gap_ms;
  Settings s = store_settings(o, dir.path(), "latency", o.durability);

  // Forked first, while this process has one thread.
  std::optional<ChildProducer> child;
  bool cross = o.cross_process && o.backend != Backend::memory;
  if (cross) {
    child.emplace([&o, s] {
      OmniQ producer(open_store(s), s);
      produce(o, producer, 2);
    });
  }

  Progress progress(o.progress);
  if (o.backend == Backend::postgres) {  // the floor under a durable enqueue, and a claim
    r["commit_per_s"] = rounded(pg_commit_rate(o.db_url, 300));
  } else if (o.backend != Backend::memory) {
    r["fsync_ms"] = fsync_ms(dir.path());
  }
  OmniQ oq(open_store(s), s);
  auto delays = std::make_shared<Delays>();
  auto on_start = [delays](const TaskContext& ctx) {
    auto sent = ctx.args().at(1).get<std::int64_t>();
    delays->add(static_cast<double>(realtime_ns() - sent) / 1e6);
  };
  DrainRun run(oq, noop_registry(o.handler, on_start), worker_options(o));
  run.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the pool go idle

  progress.begin("latency (in-process)", o.samples, delays->count());
  std::vector<double> calls = produce(o, oq, 1);
  std::vector<double> in_process = delays->take(o.samples, time_limit(o));
  progress.end();
  add_percentiles(r, "in_process_", in_process);
  add_percentiles(r, "enqueue_call_", calls);

  if (cross) {
    progress.begin("latency (cross-process)", o.samples, delays->count());
    child->go();
    std::vector<double> other = delays->take(o.samples, time_limit(o));
    progress.end();
    if (!child->wait()) throw std::runtime_error("the producer process failed");
    add_percentiles(r, "cross_process_", other);
  } else {
    std::vector<double> none;
    add_percentiles(r, "cross_process_", none);  // nulls: a memory store is per process
  }
  run.stop();
  r["peak_rss_mb"] = rounded(peak_rss_mb());
  return r;
}

}  // namespace omniq::cli::bench
