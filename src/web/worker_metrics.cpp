// WorkerMetrics: a worker's attempts as Prometheus counters and histograms.
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <array>

#include "base/task_rules.hpp"
#include "omniq/web.hpp"

namespace omniq::web {
namespace {

using Counters = prometheus::Family<prometheus::Counter>;
using Histograms = prometheus::Family<prometheus::Histogram>;

// Seconds, from 5 ms to 30 min.
const prometheus::Histogram::BucketBoundaries kBuckets = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800};

double seconds(Duration d) {
  return d.count() > 0 ? to_seconds(d) : 0.0;
}

}  // namespace

struct WorkerMetrics::Impl {
  Counters& counter(const std::string& name, const std::string& help) {
    return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
  }
  Histograms& histogram(const std::string& name, const std::string& help) {
    return prometheus::BuildHistogram().Name(name).Help(help).Register(registry);
  }

  prometheus::Registry registry;
  Counters& started = counter("omniq_worker_tasks_started_total", "Attempts started");
  // Indexed by AttemptReport::Result: succeeded, retried, failed, cancelled, lost.
  std::array<Counters*, 5> outcomes = {
      &counter("omniq_worker_tasks_succeeded_total", "Attempts that succeeded"),
      &counter("omniq_worker_tasks_retried_total", "Attempts that failed and will run again"),
      &counter("omniq_worker_tasks_failed_total", "Attempts that failed for good"),
      &counter("omniq_worker_tasks_cancelled_total", "Attempts ended by a cancel"),
      &counter("omniq_worker_leases_lost_total", "Attempts whose lease ran out before the end")};
  Histograms& run_time =
      histogram("omniq_worker_task_run_seconds", "Time from a handler's start to its end");
  Histograms& start_delay = histogram("omniq_worker_task_start_delay_seconds",
                                      "Time from when a task was due to its handler's start");
};

WorkerMetrics::WorkerMetrics() : impl_(std::make_shared<Impl>()) {}

void WorkerMetrics::observe(const AttemptReport& report) {
  const prometheus::Labels labels{{"queue", report.task.queue}};
  impl_->started.Add(labels).Increment();
  for (Counters* outcome : impl_->outcomes) outcome->Add(labels);  // every series exists, at 0
  impl_->outcomes.at(static_cast<std::size_t>(report.result))->Add(labels).Increment();
  impl_->run_time.Add(labels, kBuckets).Observe(seconds(report.run_time));
  impl_->start_delay.Add(labels, kBuckets).Observe(seconds(report.start_delay));
}

std::function<void(const AttemptReport&)> WorkerMetrics::observer() const {
  return [metrics = *this](const AttemptReport& report) mutable { metrics.observe(report); };
}

std::string WorkerMetrics::scrape() const {
  return prometheus::TextSerializer().Serialize(impl_->registry.Collect());
}

}  // namespace omniq::web
