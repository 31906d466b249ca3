// omniq::web: a dashboard for a queue (pages, a JSON API and Prometheus
// /metrics) and a worker's /metrics endpoint, served over HTTP on an Asio
// event loop of yours. A library of its own (target omniq::web): programs
// that only link omniq::omniq do not pay for it.
//
//   asio::io_context io;
//   omniq::web::Dashboard dashboard(omniq::AsyncOmniQ::from_env(), {.port = 8080},
//                                   io.get_executor());
//   dashboard.start();  // http://127.0.0.1:8080/
//   io.run();
//
// Security. The dashboard is read-only unless allow_actions is set; then each
// action (cancel, retry, purge) is a POST carrying the token in the
// X-Omniq-Token header. It sends no CORS headers, a Content-Security-Policy
// that forbids inline scripts and anything from elsewhere, and, when bound to
// a loopback address, answers only requests addressed to a loopback name (so
// a web page cannot reach it through DNS rebinding). docs/web.md has the rest.
//
// Thread-safety: the servers run on the io_context whose executor they are
// given, which may be run by several threads; start/stop from any thread.
// WorkerMetrics may be fed and scraped from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "omniq/async.hpp"

namespace omniq::web {

struct DashboardOptions {
  std::string host = "127.0.0.1";  // the address to bind; a name is resolved
  std::uint16_t port = 8080;       // 0: a free port, see Dashboard::port()
  bool allow_actions = false;      // cancel, retry and purge; read-only otherwise
  // The actions' token: 16-256 printable characters without spaces. None: 32
  // random bytes from /dev/urandom, as 64 hex digits.
  std::optional<std::string> token{};
  // How long the per-status counts are reused for /metrics and the overview,
  // so frequent scrapes cost the store little.
  Duration stats_cache = std::chrono::seconds(1);
};

class HttpServer;  // internal

// What Dashboard and MetricsServer share: an HTTP server on the executor of an
// io_context of yours (REQUIRES: io.get_executor(), not a strand or another).
class Server {
 public:
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts listening; returns at once. Throws std::system_error
  // when the address cannot be bound.
  void start();
  // The port listened on (the one chosen by the system for port 0); 0 before start().
  std::uint16_t port() const;
  // Stops accepting connections; returns when done. Idempotent. Call it while
  // the io_context runs or after it has stopped (else it waits up to 10 s).
  // Connections still open end with their io_context.
  void stop();

 protected:
  Server(asio::any_io_executor executor, const std::string& host, std::uint16_t port);
  ~Server();  // stop()
  std::unique_ptr<HttpServer> http_;
};

class Dashboard : public Server {
 public:
  // Throws ConfigError for a token that options do not accept.
  Dashboard(AsyncOmniQ oq, const DashboardOptions& options, asio::any_io_executor executor);
  // The token actions must carry.
  const std::string& token() const { return token_; }

 private:
  std::string token_;
};

// A worker's counters and histograms, fed by WorkerOptions::on_attempt:
//
//   omniq::web::WorkerMetrics metrics;
//   options.on_attempt = metrics.observer();
//
// Copies share the same metrics.
class WorkerMetrics {
 public:
  WorkerMetrics();

  // Counts one attempt (started, and how it ended) and records its run time
  // and start delay, labelled with the task's queue.
  void observe(const AttemptReport& report);
  // observe() as a callable for WorkerOptions::on_attempt; it keeps the
  // metrics alive.
  std::function<void(const AttemptReport&)> observer() const;
  // The metrics in the Prometheus text format.
  std::string scrape() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

struct MetricsServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9100;  // 0: a free port, see MetricsServer::port()
};

// Serves GET /metrics with what `scrape` returns (called on the event loop for
// each request; e.g. WorkerMetrics::scrape).
class MetricsServer : public Server {
 public:
  MetricsServer(std::function<std::string()> scrape, const MetricsServerOptions& options,
                asio::any_io_executor executor);
};

}  // namespace omniq::web
