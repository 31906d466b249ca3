// Api: what the dashboard answers, route by route (docs/web.md lists them),
// over an AsyncOmniQ. Each method is a coroutine on the server's event loop;
// the two store reads that AsyncOmniQ does not offer (finished_per_minute,
// workers) run on a thread of the Api's own, never on the event loop.
//
// Actions (cancel, retry, purge) are refused with 403 unless allowed, and
// unless the request carries the token.
#pragma once

#include <functional>
#include <string>

#include <asio/thread_pool.hpp>

#include "omniq/async.hpp"
#include "web/http.hpp"
#include "web/stats_cache.hpp"

namespace omniq::web {

class Api {
 public:
  Api(AsyncOmniQ oq, Duration stats_cache, bool allow_actions, std::string token);

  // GET /api/info: version, whether actions are allowed, the results' TTL.
  asio::awaitable<Reply> info(const Request& request);
  // GET /api/overview: counts, finished per minute, workers.
  asio::awaitable<Reply> overview(const Request& request);
  // GET /api/tasks: one page of the filtered list, newest first.
  asio::awaitable<Reply> tasks(const Request& request);
  // GET /api/tasks/:id: the task and its result.
  asio::awaitable<Reply> task(const Request& request);
  // POST /api/tasks/:id/cancel, POST /api/tasks/:id/retry, POST /api/purge.
  asio::awaitable<Reply> cancel(const Request& request);
  asio::awaitable<Reply> retry(const Request& request);
  asio::awaitable<Reply> purge(const Request& request);
  // GET /metrics: the queue's gauges.
  asio::awaitable<Reply> metrics(const Request& request);

 private:
  // Throws HttpError 403 unless actions are allowed and the token matches.
  void check_action(const Request& request) const;
  // Runs a blocking store read on the reader thread.
  template <class R>
  asio::awaitable<R> read_store(std::function<R()> read);

  AsyncOmniQ oq_;
  StatsCache stats_;
  bool allow_actions_;
  std::string token_;
  asio::thread_pool reader_{1};
};

}  // namespace omniq::web
