// The only translation unit that includes RESTinio.
#include "web/http_server.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <restinio/all.hpp>
#include <stdexcept>

namespace omniq::web {
namespace {

using Router = restinio::router::express_router_t<>;
using RouteParams = restinio::router::route_params_t;
using RequestHandle = restinio::request_handle_t;

// No connection-count limiter: RESTinio's keeps a raw pointer to the server in
// every connection, and connections may outlive the server (until the
// io_context drops them).
struct Traits : restinio::default_traits_t {
  using request_handler_t = restinio::default_request_handler_t;
};
using Server = restinio::http_server_t<Traits>;

constexpr std::size_t kMaxPath = 1024;  // the router matches paths with std::regex: keep them short
constexpr std::size_t kMaxTarget = 8 * 1024;
constexpr const char* kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const char* reason(int status) {
  static const std::map<int, const char*> kReasons = {
      {200, "OK"},          {400, "Bad Request"},        {403, "Forbidden"},
      {404, "Not Found"},   {405, "Method Not Allowed"}, {409, "Conflict"},
      {414, "URI Too Long"}};
  auto it = kReasons.find(status);
  return it != kReasons.end() ? it->second : status < 500 ? "Client Error" : "Server Error";
}

// Sends the reply with the security headers. Never throws (the peer may be gone).
void send(const RequestHandle& req, Reply reply, const char* allow = nullptr) noexcept {
  try {
    auto code = restinio::http_status_code_t{static_cast<std::uint16_t>(reply.status)};
    auto response = req->create_response(restinio::http_status_line_t{code, reason(reply.status)});
    response.append_header(restinio::http_field::content_type, reply.content_type)
        .append_header("Content-Security-Policy", kCsp)
        .append_header("X-Content-Type-Options", "nosniff")
        .append_header("X-Frame-Options", "DENY")
        .append_header("Referrer-Policy", "no-referrer")
        .append_header(restinio::http_field::cache_control, "no-store");
    if (allow != nullptr) response.append_header(restinio::http_field::allow, allow);
    if (req->header().method() == restinio::http_method_head()) reply.body.clear();
    response.set_body(std::move(reply.body)).done();
  } catch (const std::exception&) {
  }
}

restinio::request_handling_status_t refuse(const RequestHandle& req, int status,
                                           const std::string& message) {
  send(req, error_reply(status, message));
  return restinio::request_accepted();
}

// True when a Host header names localhost or a loopback address.
bool loopback_host(std::string_view host) {
  std::string_view name =
      host.substr(0, host.starts_with('[') ? host.find(']') + 1 : host.find(':'));
  if (name == "localhost" || name == "[::1]") return true;
  std::error_code ec;
  auto address = asio::ip::make_address(std::string(name), ec);
  return !ec && address.is_v4() && address.is_loopback();
}

Request make_request(const restinio::request_t& req, const RouteParams& params) {
  Request r;
  if (auto id = params.get_param("id")) r.id = std::string(*id);
  auto query =
      restinio::try_parse_query<restinio::parse_query_traits::relaxed>(req.header().query());
  if (!query) throw HttpError(400, "malformed query string: " + query.error().description());
  for (const auto& [name, value] : *query) r.query.emplace(name, value);
  if (const std::string* token = req.header().try_get_field("X-Omniq-Token")) r.token = *token;
  return r;
}

asio::awaitable<void> serve(Handler handler, Request request, RequestHandle req) {
  Reply reply;
  try {
    reply = co_await handler(request);
  } catch (...) {
    reply = reply_for(std::current_exception());
  }
  send(req, std::move(reply));
}

// An IP address as written, else the first address a name resolves to.
asio::ip::address bind_address(asio::io_context& io, const std::string& host) {
  std::error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (!ec) return address;
  asio::ip::tcp::resolver resolver(io);
  return resolver.resolve(host, "")->endpoint().address();
}

asio::io_context& io_context_of(const asio::any_io_executor& executor) {
  const auto* ex = executor.target<asio::io_context::executor_type>();
  if (ex == nullptr) throw std::invalid_argument("omniq::web needs an io_context's own executor");
  return ex->context();
}

}  // namespace

struct HttpServer::Impl {
  // What connections share, and may keep alive after the server is gone.
  struct Routes {
    Router router;
    std::atomic<bool> loopback_only{true};
  };

  Impl(asio::any_io_executor ex, std::string h, std::uint16_t p)
      : executor(std::move(ex)), io(io_context_of(executor)), host(std::move(h)), wanted_port(p) {}

  void add(restinio::http_method_id_t method, const std::string& path, Handler handler);

  asio::any_io_executor executor;
  asio::io_context& io;
  std::string host;
  std::uint16_t wanted_port;
  std::shared_ptr<Routes> routes = std::make_shared<Routes>();
  std::shared_ptr<Server> server{};
  std::atomic<std::uint16_t> port{0};
};

void HttpServer::Impl::add(restinio::http_method_id_t method, const std::string& path,
                           Handler handler) {
  auto run = [ex = executor, handler](RequestHandle req, RouteParams params) {
    Request request;
    try {
      request = make_request(*req, params);
    } catch (const HttpError& e) {
      return refuse(req, e.status(), e.what());
    }
    asio::co_spawn(ex, serve(handler, std::move(request), req), asio::detached);
    return restinio::request_accepted();
  };
  const char* allow = method == restinio::http_method_get() ? "GET" : "POST";
  auto not_allowed = [allow](RequestHandle req, RouteParams) {
    send(req, error_reply(405, std::string("this route accepts only ") + allow), allow);
    return restinio::request_accepted();
  };
  routes->router.add_handler(method, path, std::move(run));
  routes->router.add_handler(restinio::router::none_of_methods(method), path,
                             std::move(not_allowed));
}

HttpServer::HttpServer(asio::any_io_executor executor, std::string host, std::uint16_t port)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(host), port)) {
  impl_->routes->router.non_matched_request_handler(
      [](RequestHandle req) { return refuse(req, 404, "no such route"); });
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::get(const std::string& path, Handler handler) {
  impl_->add(restinio::http_method_get(), path, std::move(handler));
}

void HttpServer::post(const std::string& path, Handler handler) {
  impl_->add(restinio::http_method_post(), path, std::move(handler));
}

void HttpServer::start() {
  if (impl_->server) return;
  asio::ip::address address = bind_address(impl_->io, impl_->host);
  auto routes = impl_->routes;
  auto handle = [routes](RequestHandle req) {
    std::string host = req->header().get_field_or(restinio::http_field::host, "");
    if (routes->loopback_only && !loopback_host(host)) {
      return refuse(req, 403, "this server answers only requests to localhost or 127.0.0.1");
    }
    const auto& header = req->header();
    if (header.request_target().size() > kMaxTarget || header.path().size() > kMaxPath) {
      return refuse(req, 414, "request target too long");
    }
    return routes->router(std::move(req));
  };
  auto bound = [impl = impl_.get(), routes](asio::ip::tcp::acceptor& acceptor) {
    impl->port = acceptor.local_endpoint().port();
    routes->loopback_only = acceptor.local_endpoint().address().is_loopback();
  };
  auto limits = restinio::incoming_http_msg_limits_t{}
                    .max_url_size(64 * 1024)
                    .max_field_name_size(256)
                    .max_field_value_size(16 * 1024)
                    .max_field_count(100)
                    .max_body_size(64 * 1024);
  restinio::server_settings_t<Traits> settings;
  settings.address(address).port(impl_->wanted_port).incoming_http_msg_limits(limits);
  settings.request_handler(std::move(handle));
  settings.acceptor_post_bind_hook(std::move(bound));
  auto server =
      std::make_shared<Server>(restinio::external_io_context(impl_->io), std::move(settings));
  server->open_sync();
  impl_->server = std::move(server);
}

std::uint16_t HttpServer::port() const {
  return impl_->port;
}

void HttpServer::stop() {
  std::shared_ptr<Server> server = impl_->server;
  if (!server) return;
  if (impl_->io.stopped() || impl_->io.get_executor().running_in_this_thread()) {
    server->close_sync();
    return;
  }
  // On the server's own executor; the callbacks keep the server alive until it has run.
  auto closed = std::make_shared<std::promise<void>>();
  std::future<void> done = closed->get_future();
  server->close_async([server, closed] { closed->set_value(); },
                      [server, closed](std::exception_ptr) { closed->set_value(); });
  done.wait_for(std::chrono::seconds(10));  // an event loop that does not run closes it later
}

}  // namespace omniq::web
