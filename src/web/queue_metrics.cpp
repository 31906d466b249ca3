#include "web/queue_metrics.hpp"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <algorithm>

#include "base/task_rules.hpp"

namespace omniq::web {

std::string queue_metrics_text(const QueueStats& stats, Timestamp now) {
  prometheus::Registry registry;
  auto& tasks = prometheus::BuildGauge()
                    .Name("omniq_tasks")
                    .Help("Tasks in the store, per queue and status")
                    .Register(registry);
  auto& paused = prometheus::BuildGauge()
                     .Name("omniq_queue_paused")
                     .Help("1 when the queue is paused, else 0")
                     .Register(registry);
  auto& oldest = prometheus::BuildGauge()
                     .Name("omniq_oldest_pending_age_seconds")
                     .Help("Age of the oldest PENDING or RETRYING task (0 when none waits)")
                     .Register(registry);
  std::map<std::string, StatusCounts> queues = stats.queues;
  for (const std::string& queue : stats.paused) queues.try_emplace(queue);
  if (queues.empty()) queues["default"] = stats.counts;  // all zero, so the series exist
  for (const auto& [queue, counts] : queues) {
    for (TaskStatus s : kAllStatuses) {
      tasks.Add({{"queue", queue}, {"status", std::string(to_string(s))}})
          .Set(static_cast<double>(counts[static_cast<std::size_t>(s)]));
    }
    bool is_paused =
        std::find(stats.paused.begin(), stats.paused.end(), queue) != stats.paused.end();
    paused.Add({{"queue", queue}}).Set(is_paused ? 1 : 0);
  }
  oldest.Add({}).Set(stats.oldest_pending ? to_seconds(now - *stats.oldest_pending) : 0.0);
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

}  // namespace omniq::web
