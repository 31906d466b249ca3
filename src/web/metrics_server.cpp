// Server: what the dashboard and MetricsServer share, over an HttpServer;
// MetricsServer: GET /metrics on one of its own.
#include "omniq/web.hpp"
#include "web/http_server.hpp"
#include "web/queue_metrics.hpp"

namespace omniq::web {
namespace {

asio::awaitable<Reply> metrics_reply(std::string text) {
  co_return Reply{200, kPrometheusContentType, std::move(text)};
}

}  // namespace

Server::Server(asio::any_io_executor executor, const std::string& host, std::uint16_t port)
    : http_(std::make_unique<HttpServer>(std::move(executor), host, port)) {}

Server::~Server() = default;  // the HTTP server stops itself

void Server::start() {
  http_->start();
}

std::uint16_t Server::port() const {
  return http_->port();
}

void Server::stop() {
  http_->stop();
}

MetricsServer::MetricsServer(std::function<std::string()> scrape,
                             const MetricsServerOptions& options, asio::any_io_executor executor)
    : Server(std::move(executor), options.host, options.port) {
  http_->get("/metrics", [scrape](const Request&) { return metrics_reply(scrape()); });
}

}  // namespace omniq::web
