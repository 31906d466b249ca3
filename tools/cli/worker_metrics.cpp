#include "worker_metrics.hpp"

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <charconv>
#include <optional>
#include <system_error>
#include <thread>

#include "commands.hpp"
#include "omniq/web.hpp"

namespace omniq::cli {

Listen parse_listen_arg(std::string_view option, std::string_view text) {
  auto bad = [&] {
    return UsageError(std::string(option) + " \"" + std::string(text) +
                      "\": expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080 (port 0-65535)");
  };
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) throw bad();
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') throw bad();
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    throw bad();  // an IPv6 address needs brackets
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value > 65535) throw bad();
  return Listen{std::string(host), static_cast<std::uint16_t>(value)};
}

std::string http_url(const std::string& host, std::uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

struct WorkerMetricsEndpoint::Impl {
  Impl(const Listen& l, const web::WorkerMetrics& m)
      : listen(l), server([m] { return m.scrape(); }, {l.host, l.port}, io.get_executor()) {}

  Listen listen;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  web::MetricsServer server;
  std::optional<std::thread> thread{};
};

WorkerMetricsEndpoint::WorkerMetricsEndpoint(std::string_view listen, WorkerOptions& options) {
  Listen where = parse_listen_arg("--metrics", listen);
  web::WorkerMetrics metrics;
  impl_ = std::make_unique<Impl>(where, metrics);
  try {
    impl_->server.start();
  } catch (const std::system_error& e) {
    throw CommandFailed("--metrics: cannot listen on " + std::string(listen) + ": " + e.what());
  }
  impl_->thread.emplace([io = &impl_->io] { io->run(); });
  options.on_attempt = metrics.observer();
}

WorkerMetricsEndpoint::~WorkerMetricsEndpoint() {
  if (!impl_->thread) return;
  impl_->server.stop();
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread->join();
}

std::string WorkerMetricsEndpoint::url() const {
  return http_url(impl_->listen.host, impl_->server.port()) + "/metrics";
}

std::unique_ptr<WorkerMetricsEndpoint> start_worker_metrics(std::string_view listen,
                                                            WorkerOptions& options) {
  return std::make_unique<WorkerMetricsEndpoint>(listen, options);
}

}  // namespace omniq::cli
