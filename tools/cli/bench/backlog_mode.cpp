// `omniq bench --mode backlog`: for each --backlog-sizes entry, a store with
// that many tasks queued, then the drain rate of a pool over the first
// --backlog-measure of them (all of them with --backlog-drain-all), and this
// process's resident memory through the drain. The queue is filled with
// enqueue_many under durability off, for speed; the store is then reopened
// with the chosen durability, which the drain uses.
#include <algorithm>

#include "bench_options.hpp"
#include "bench_store.hpp"
#include "drain_run.hpp"
#include "measure.hpp"
#include "progress.hpp"

namespace omniq::cli::bench {
namespace {

constexpr std::size_t kFillBatch = 10000;

// Fills `store` with n tasks; returns seconds.
double fill(const BenchOptions& o, const std::shared_ptr<Storage>& store, const Settings& s,
            std::size_t n, Progress& progress) {
  OmniQ oq(store, s);
  return enqueue_in_batches(oq, n, kFillBatch, std::string(o.payload, 'x'), "fill (durability off)",
                            progress);
}

Json measure_backlog(const BenchOptions& o, const ScratchDir& dir, std::size_t queued,
                     Progress& progress) {
  std::string name = "backlog-" + std::to_string(queued);
  Json e;
  e["queued"] = queued;
  Settings fast = store_settings(o, dir.path(), name, Durability::off);
  std::shared_ptr<Storage> store = open_store(fast);
  e["fill_seconds"] = rounded(fill(o, store, fast, queued, progress));
  Settings s = store_settings(o, dir.path(), name, o.durability);
  if (o.backend != Backend::memory) {  // reopen with the durability under test
    store->close();
    store.reset();
    store = open_store(s);
  }
  const std::size_t measured = std::min(queued, o.backlog_measure);
  const std::size_t target = o.backlog_drain_all ? queued : measured;
  {
    OmniQ oq(store, s);
    trim_heap();  // the fill's freed memory is not the drain's
    RssSampler rss;
    DrainRun run(oq, noop_registry(o.handler), worker_options(o));
    progress.begin("drain of " + std::to_string(queued), target, run.finished());
    run.start();
    double secs = run.wait_for(measured);
    e["measured"] = measured;
    e["drain_per_s"] = rounded(per_second(measured, secs));
    if (target > measured) {
      double all = run.wait_for(target);
      e["drained"] = target;
      e["drain_all_per_s"] = rounded(per_second(target, all));
    }
    progress.end();
    run.stop();
    rss.stop();
    e["rss_start_mb"] = rounded(rss.first_mb());
    e["rss_max_mb"] = rounded(rss.max_mb());
    e["rss_end_mb"] = rounded(rss.last_mb());
  }
  store->close();
  store.reset();
  dir.remove(store_file_name(o.backend, name));
  return e;
}

}  // namespace

Json run_backlog(const BenchOptions& o, const ScratchDir& dir) {
  Json r = report_header(o);
  r["backlog_measure"] = o.backlog_measure;
  Progress progress(o.progress);
  Json entries = Json::array();
  for (std::size_t queued : o.backlog_sizes) {
    entries.push_back(measure_backlog(o, dir, queued, progress));
  }
  r["backlog"] = entries;
  double first = entries.front()["drain_per_s"].get<double>();
  double last = entries.back()["drain_per_s"].get<double>();
  r["backlog_ratio"] = rounded(first > 0 ? last / first : 0.0);
  double rss_max = 0;
  for (const Json& e : entries) rss_max = std::max(rss_max, e["rss_max_mb"].get<double>());
  r["drain_rss_max_mb"] = rounded(rss_max);
  r["peak_rss_mb"] = rounded(peak_rss_mb());
  return r;
}

}  // namespace omniq::cli::bench
