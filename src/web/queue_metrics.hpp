// The dashboard's /metrics: the queue as Prometheus gauges.
#pragma once

#include <string>

#include "omniq/storage.hpp"

namespace omniq::web {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// omniq_tasks{queue, status}, omniq_queue_paused{queue} and
// omniq_oldest_pending_age_seconds (0 when nothing waits), in the Prometheus
// text format.
std::string queue_metrics_text(const QueueStats& stats, Timestamp now);

}  // namespace omniq::web
