// HttpServer: the RESTinio server both web servers use, on an io_context of
// the caller's. Handlers are coroutines run on that io_context; every reply,
// errors included, carries the security headers (a Content-Security-Policy
// allowing only this origin's own scripts and styles, nosniff, no framing, no
// referrer, no caching) and never a CORS header.
//
// Requests are checked before routing: a target longer than 8 KiB gets 414, a
// malformed query string 400, an unknown route 404 and a known route asked
// with another method 405. Bound to a loopback address, the server answers
// only requests whose Host names a loopback address or localhost (403
// otherwise), so that DNS rebinding cannot bring a web page to it.
//
// Thread-safety: as omniq::web::Dashboard. Routes are added before start().
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <asio/any_io_executor.hpp>

#include "web/http.hpp"

namespace omniq::web {

class HttpServer {
 public:
  // REQUIRES: executor belongs to an asio::io_context (else std::invalid_argument).
  HttpServer(asio::any_io_executor executor, std::string host, std::uint16_t port);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Routes a path ("/api/tasks/:id") for GET or POST; other methods get 405.
  void get(const std::string& path, Handler handler);
  void post(const std::string& path, Handler handler);

  // Binds and listens. Throws std::system_error when it cannot.
  void start();
  std::uint16_t port() const;
  // Closes the listening socket; returns when it is closed. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omniq::web
