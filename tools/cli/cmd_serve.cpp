// omniq serve [--listen HOST:PORT] [--allow-actions] [--token T]
//
// Serves the dashboard, its JSON API and Prometheus /metrics (docs/web.md)
// for the store that the OMNIQ_* settings and the global flags name, on
// loopback unless told otherwise, until SIGINT or SIGTERM. Read-only unless
// --allow-actions; actions then carry a token: --token, else
// OMNIQ_WEB_TOKEN, else a random one printed at start.
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <system_error>

#include "arguments.hpp"
#include "commands.hpp"
#include "omniq/web.hpp"
#include "output.hpp"
#include "worker_metrics.hpp"

namespace omniq::cli {

namespace {

struct ServeArgs {
  std::string listen = "127.0.0.1:8080";
  bool allow_actions = false;
  std::optional<std::string> token;
};

std::optional<std::string> given_token(const ServeArgs& a) {
  if (a.token) return a.token;
  const char* env = std::getenv("OMNIQ_WEB_TOKEN");
  if (env != nullptr && *env != '\0') return std::string(env);
  return std::nullopt;
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

void print_listening(const GlobalOptions& global, const Settings& settings, const ServeArgs& a,
                     const Listen& listen, const web::Dashboard& dashboard, bool random_token) {
  std::string url = http_url(listen.host, dashboard.port()) + "/";
  if (global.json) {
    Value out{{"event", "listening"},       {"url", url},
              {"port", dashboard.port()},   {"store", describe_store(settings)},
              {"actions", a.allow_actions}, {"metrics", url + "metrics"}};
    out["token"] = a.allow_actions && random_token ? Value(dashboard.token()) : Value();
    std::cout << out.dump() << std::endl;
    return;
  }
  std::cout << "omniq serve: dashboard for " << describe_store(settings) << " at " << url
            << " (Prometheus metrics at " << url << "metrics)\n";
  if (!a.allow_actions) {
    std::cout << "omniq serve: read-only (start with --allow-actions to cancel, retry and purge)\n";
  } else if (random_token) {
    std::cout << "omniq serve: actions allowed; token " << dashboard.token() << "\n"
              << "omniq serve: open " << url << "#token=" << dashboard.token()
              << " to use it from this browser\n";
  } else {
    std::cout << "omniq serve: actions allowed with the token given by "
              << (a.token ? "--token" : "OMNIQ_WEB_TOKEN") << "\n";
  }
  std::cout << "omniq serve: stop with Ctrl-C or SIGTERM" << std::endl;
}

void run_serve(const ServeArgs& a, const GlobalOptions& global) {
  Listen listen = parse_listen_arg("--listen", a.listen);
  Settings settings = global.settings();
  if (settings.backend == Backend::memory) {
    std::cerr << "omniq serve: note: the memory store lives in this process only; it shows no "
                 "task that other omniq commands enqueue (use --backend sqlite or file)\n";
  }
  if (!is_loopback(listen.host)) {
    std::cerr << "omniq serve: warning: listening on " << listen.host
              << ": whoever reaches this port can read every task's arguments and results\n";
  }
  std::optional<std::string> token = given_token(a);
  web::DashboardOptions options{
      .host = listen.host, .port = listen.port, .allow_actions = a.allow_actions, .token = token};
  asio::io_context io;
  asio::signal_set signals(io, SIGINT, SIGTERM);  // before anything is printed
  AsyncOmniQ oq(settings);
  web::Dashboard dashboard(oq, options, io.get_executor());
  try {
    dashboard.start();
  } catch (const std::system_error& e) {
    throw CommandFailed("cannot listen on " + a.listen + ": " + e.what());
  }
  signals.async_wait([&](const std::error_code& ec, int) {
    if (ec) return;
    dashboard.stop();
    io.stop();
  });
  print_listening(global, settings, a, listen, dashboard, !token);
  io.run();
  if (global.json) {
    std::cout << Value{{"event", "stopped"}}.dump() << std::endl;
  } else {
    std::cout << "omniq serve: stopped" << std::endl;
  }
}

}  // namespace

void add_serve_command(CLI::App& app, GlobalOptions& global) {
  auto a = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Serve a dashboard, a JSON API and Prometheus /metrics for the store");
  cmd->add_option("--listen", a->listen, "address to listen on; port 0 picks a free one")
      ->type_name("HOST:PORT")
      ->capture_default_str();
  cmd->add_flag("--allow-actions", a->allow_actions,
                "allow cancel, retry and purge (POSTs carrying the token)");
  cmd->add_option("--token", a->token,
                  "the actions' token, 16-256 characters (default: OMNIQ_WEB_TOKEN, else a "
                  "random one printed at start)")
      ->type_name("TOKEN");
  cmd->footer(
      "Listens on loopback unless --listen says otherwise; anyone who can reach the port reads\n"
      "every task. Pages, API and metrics: see docs/web.md. With --json the first line is\n"
      "{\"event\": \"listening\", \"url\", \"port\", \"token\", ...}.");
  cmd->callback([a, &global] { run_serve(*a, global); });
}

}  // namespace omniq::cli
