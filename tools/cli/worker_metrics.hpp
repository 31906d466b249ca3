// HOST:PORT arguments (omniq serve --listen, omniq worker --metrics) and the
// worker's Prometheus endpoint: a WorkerMetrics that the pool's on_attempt
// feeds, served on GET /metrics from an event-loop thread of its own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "omniq/omniq.hpp"

namespace omniq::cli {

struct Listen {
  std::string host;
  std::uint16_t port = 0;
};

// "HOST:PORT", with an IPv6 host in brackets ("[::1]:9100"); port 0 picks a
// free one. Throws UsageError naming `option` and the accepted form.
Listen parse_listen_arg(std::string_view option, std::string_view text);

// "http://HOST:PORT" (brackets around an IPv6 host).
std::string http_url(const std::string& host, std::uint16_t port);

class WorkerMetricsEndpoint {
 public:
  // Starts serving on `listen` (see parse_listen_arg) and sets
  // options.on_attempt to feed the metrics. Throws UsageError for a bad
  // address, CommandFailed when it cannot be bound.
  // REQUIRES: the signals the caller waits for are blocked in this thread
  // (the endpoint's thread inherits the mask).
  WorkerMetricsEndpoint(std::string_view listen, WorkerOptions& options);
  ~WorkerMetricsEndpoint();  // stops serving
  WorkerMetricsEndpoint(const WorkerMetricsEndpoint&) = delete;
  WorkerMetricsEndpoint& operator=(const WorkerMetricsEndpoint&) = delete;

  // Where the metrics are: "http://127.0.0.1:9100/metrics".
  std::string url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// For `omniq worker --metrics HOST:PORT`: the endpoint, started.
std::unique_ptr<WorkerMetricsEndpoint> start_worker_metrics(std::string_view listen,
                                                            WorkerOptions& options);

}  // namespace omniq::cli
