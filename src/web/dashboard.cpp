// Dashboard: the page's files and the API's routes on one HttpServer.
#include <string>

#include "omniq/web.hpp"
#include "web/api.hpp"
#include "web/assets.hpp"
#include "web/http_server.hpp"
#include "web/token.hpp"

namespace omniq::web {
namespace {

asio::awaitable<Reply> ready(Reply reply) {
  co_return reply;
}

// A handler calling `method` on the shared Api (which it keeps alive).
Handler to(const std::shared_ptr<Api>& api, asio::awaitable<Reply> (Api::*method)(const Request&)) {
  return [api, method](const Request& request) { return ((*api).*method)(request); };
}

void add_assets(HttpServer& server) {
  for (const Asset& asset : assets()) {
    std::string path = asset.name == "index.html" ? "/" : "/" + std::string(asset.name);
    Reply reply{200, std::string(asset.content_type), std::string(asset.body)};
    server.get(path, [reply](const Request&) { return ready(reply); });
  }
}

void add_api(HttpServer& server, const std::shared_ptr<Api>& api) {
  server.get("/api/info", to(api, &Api::info));
  server.get("/api/overview", to(api, &Api::overview));
  server.get("/api/tasks", to(api, &Api::tasks));
  server.get("/api/tasks/:id", to(api, &Api::task));
  server.post("/api/tasks/:id/cancel", to(api, &Api::cancel));
  server.post("/api/tasks/:id/retry", to(api, &Api::retry));
  server.post("/api/purge", to(api, &Api::purge));
  server.get("/metrics", to(api, &Api::metrics));
}

}  // namespace

Dashboard::Dashboard(AsyncOmniQ oq, const DashboardOptions& options, asio::any_io_executor executor)
    : Server(std::move(executor), options.host, options.port),
      token_(checked_token(options.token)) {
  auto api =
      std::make_shared<Api>(std::move(oq), options.stats_cache, options.allow_actions, token_);
  add_assets(*http_);
  add_api(*http_, api);
}

}  // namespace omniq::web
