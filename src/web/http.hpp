// What the web handlers see of HTTP, without RESTinio: a parsed request, the
// reply to send, and the error that becomes a 4xx reply.
#pragma once

#include <functional>
#include <map>
#include <stdexcept>
#include <string>

#include <asio/awaitable.hpp>

#include "omniq/task.hpp"

namespace omniq::web {

// Query-string parameters, percent-decoded; the first of repeated names wins.
using Query = std::map<std::string, std::string, std::less<>>;

struct Request {
  std::string id{};  // the route's ":id" parameter, as sent
  Query query{};
  std::string token{};  // the X-Omniq-Token header, empty when absent
};

struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body{};
};

// Thrown by handlers for a request they refuse; becomes {"error": message}.
class HttpError : public std::runtime_error {
 public:
  HttpError(int status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

using Handler = std::function<asio::awaitable<Reply>(const Request&)>;

// `v` as a JSON reply (invalid UTF-8 in task data is replaced, never fatal).
Reply json_reply(const Value& v, int status = 200);
// {"error": message} with that status.
Reply error_reply(int status, const std::string& message);
// The reply for an exception a handler threw: HttpError as it says,
// ValidationError 400, NotFoundError 404, InvalidTransitionError 409, others 500.
Reply reply_for(std::exception_ptr error);

}  // namespace omniq::web
