// MetricsServer: GET /metrics on an HttpServer of its own.
#include "omniq/web.hpp"
#include "web/http_server.hpp"
#include "web/queue_metrics.hpp"

namespace omniq::web {
namespace {

asio::awaitable<Reply> metrics_reply(std::string text) {
  co_return Reply{200, kPrometheusContentType, std::move(text)};
}

}  // namespace

struct MetricsServer::Impl : HttpServer {
  using HttpServer::HttpServer;
};

MetricsServer::MetricsServer(std::function<std::string()> scrape,
                             const MetricsServerOptions& options, asio::any_io_executor executor)
    : impl_(std::make_unique<Impl>(std::move(executor), options.host, options.port)) {
  impl_->get("/metrics", [scrape](const Request&) { return metrics_reply(scrape()); });
}

MetricsServer::~MetricsServer() = default;  // the server stops itself

void MetricsServer::start() {
  impl_->start();
}

std::uint16_t MetricsServer::port() const {
  return impl_->port();
}

void MetricsServer::stop() {
  impl_->stop();
}

}  // namespace omniq::web
