// omniq worker [--concurrency N | --queue NAME=N ...] [--prefetch N] [--poll-interval D]
//              [--shutdown-grace D] [--plugin LIB.so ...]
//
// Runs tasks until SIGINT or SIGTERM, then stops gracefully: claimed tasks not
// yet started are given back at once, running ones get --shutdown-grace to
// finish, then their stop tokens fire (a stopped task is given back to the
// queue, so another worker runs it again). A second signal exits at once; the
// leases of tasks still running then expire and another worker recovers them.
//
// Signals are blocked in every thread and taken with sigwait on the main
// thread, so nothing runs in a signal handler.
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <thread>

#include "arguments.hpp"
#include "base/task_rules.hpp"
#include "builtin_tasks.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "plugins.hpp"
#include "worker_metrics.hpp"

namespace omniq::cli {

namespace {

struct WorkerArgs {
  std::string concurrency = "4";
  std::vector<std::string> queues;
  std::string prefetch = "0";
  std::string poll_interval = "1s";
  std::string shutdown_grace = "10s";
  std::vector<std::string> plugins;
  std::optional<std::string> metrics;
};

// SIGINT and SIGTERM, blocked in this thread and every thread it starts.
class StopSignals {
 public:
  StopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }
  // Waits for one of them; returns its number.
  int wait() const {
    int sig = 0;
    while (::sigwait(&set_, &sig) != 0) {
    }
    return sig;
  }
  // After the first signal: a second one ends the process at once.
  void exit_on_next() const {
    std::thread([this] {
      int sig = wait();
      const char msg[] = "omniq worker: second signal, exiting without waiting for tasks\n";
      [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
      ::_exit(128 + sig);
    }).detach();
  }

 private:
  sigset_t set_;
};

WorkerOptions worker_options(const WorkerArgs& a) {
  WorkerOptions o;
  o.concurrency = static_cast<std::size_t>(parse_int_arg("--concurrency", a.concurrency, 1, 1024));
  for (const std::string& q : a.queues) {
    auto eq = q.find('=');
    std::string name = q.substr(0, eq);
    std::string n = eq == std::string::npos ? a.concurrency : q.substr(eq + 1);
    try {
      validate_name(name, "queue");
    } catch (const ValidationError& e) {
      throw UsageError(std::string("--queue: ") + e.what());
    }
    o.queues[name] = static_cast<std::size_t>(parse_int_arg("--queue " + name, n, 1, 1024));
  }
  o.prefetch = static_cast<std::size_t>(parse_int_arg("--prefetch", a.prefetch, 0, 100000));
  o.poll_interval = parse_duration_arg("--poll-interval", a.poll_interval);
  if (o.poll_interval.count() <= 0) throw UsageError("--poll-interval must be more than 0");
  o.shutdown_grace = parse_duration_arg("--shutdown-grace", a.shutdown_grace);
  return o;
}

void print_event(const GlobalOptions& global, const Value& json, const std::string& text) {
  if (global.json) {
    std::cout << json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  } else {
    std::cout << "omniq worker: " << text << std::endl;
  }
}

std::string describe_queues(const WorkerOptions& o) {
  std::string out;
  for (const auto& [name, n] : o.served()) {
    out += (out.empty() ? "" : ", ") + name + "=" + std::to_string(n);
  }
  return out;
}

void run_worker(const WorkerArgs& a, const GlobalOptions& global) {
  static StopSignals signals;  // first, before any thread exists; lives past detached waiters
  WorkerOptions options = worker_options(a);
  std::unique_ptr<WorkerMetricsEndpoint> metrics;  // before the pool: outlives it
  if (a.metrics) metrics = start_worker_metrics(*a.metrics, options);  // sets on_attempt
  Settings settings = global.settings();

  Registry registry;
  register_builtin_tasks(registry);
  for (const std::string& path : a.plugins) load_plugin(path, registry);
  std::vector<std::string> names = registry.names();

  if (settings.backend == Backend::memory) {
    std::cerr << "omniq worker: note: the memory store lives in this process only; tasks "
                 "enqueued by other omniq commands are not seen (use --backend sqlite or file)\n";
  }
  auto queue = open_queue(settings);
  WorkerPool pool = queue->oq.worker(std::move(registry), options);
  pool.start();
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  print_event(global,
              {{"event", "started"},
               {"pid", ::getpid()},
               {"store", describe_store(settings)},
               {"queues", options.served()},
               {"tasks", names}},
              "pid " + std::to_string(::getpid()) + ", " + describe_store(settings) + ", queues " +
                  describe_queues(options) + "; tasks: " + list + ". Stop with Ctrl-C or SIGTERM.");

  int sig = signals.wait();
  signals.exit_on_next();
  std::string name = sig == SIGINT ? "SIGINT" : "SIGTERM";
  print_event(global, {{"event", "stopping"}, {"signal", name}},
              "received " + name + ": stopping; running tasks get up to " +
                  format_age(options.shutdown_grace) + " to finish (signal again to exit now)");
  pool.stop();
  WorkerStats s = pool.stats();
  print_event(global,
              {{"event", "stopped"},
               {"claimed", s.claimed},
               {"succeeded", s.succeeded},
               {"retried", s.retried},
               {"failed", s.failed},
               {"cancelled", s.cancelled},
               {"lost", s.lost}},
              "stopped: claimed " + std::to_string(s.claimed) + ", succeeded " +
                  std::to_string(s.succeeded) + ", retried " + std::to_string(s.retried) +
                  ", failed " + std::to_string(s.failed) + ", cancelled " +
                  std::to_string(s.cancelled));
}

}  // namespace

void add_worker_command(CLI::App& app, GlobalOptions& global) {
  auto a = std::make_shared<WorkerArgs>();
  CLI::App* cmd = app.add_subcommand("worker", "Run tasks until SIGINT or SIGTERM");
  cmd->add_option("--concurrency,-c", a->concurrency, "tasks run at once, 1-1024")
      ->type_name("N")
      ->capture_default_str();
  cmd->add_option("--queue,-q", a->queues,
                  "serve this queue with N tasks at once (NAME=N, or NAME for --concurrency); "
                  "repeatable; default: the queue \"default\"")
      ->type_name("NAME=N");
  cmd->add_option("--prefetch", a->prefetch,
                  "tasks claimed ahead of free slots per queue (default 0: claim only for free "
                  "slots)")
      ->type_name("N")
      ->capture_default_str();
  cmd->add_option("--poll-interval", a->poll_interval,
                  "how often an idle worker re-checks the store, e.g. 500ms")
      ->type_name("DURATION")
      ->capture_default_str();
  cmd->add_option("--shutdown-grace", a->shutdown_grace,
                  "on SIGINT/SIGTERM, how long running tasks may finish before being stopped")
      ->type_name("DURATION")
      ->capture_default_str();
  cmd->add_option("--metrics", a->metrics,
                  "serve Prometheus metrics at http://HOST:PORT/metrics, e.g. 127.0.0.1:9100")
      ->type_name("HOST:PORT");
  cmd->add_option("--plugin", a->plugins,
                  "shared library exporting extern \"C\" void omniq_register(omniq::Registry&); "
                  "repeatable")
      ->type_name("LIB.so");
  cmd->footer(
      "Built-in tasks:\n"
      "  echo  ARGS...            returns its arguments\n"
      "  sleep [SECONDS]          sleeps (default 1), stops early on timeout/cancel/shutdown\n"
      "  fail  [MESSAGE [COUNT]]  fails; with COUNT fails COUNT attempts then succeeds;\n"
      "                           kwargs {\"permanent\": true} fails without retries\n"
      "  shell ARGV...            runs a program without a shell (kwargs {\"shell\": true} runs\n"
      "                           /bin/sh -c ARGV[0]; {\"cwd\": DIR}); result: exit_code and the\n"
      "                           last 4 KiB of stdout/stderr; non-zero exit fails the attempt;\n"
      "                           on timeout the child's process group is killed\n"
      "A plugin that cannot be loaded, or lacks omniq_register, is bad usage (exit code 2).\n"
      "With --json the worker prints one JSON object per line (started, stopping, stopped).");
  cmd->callback([a, &global] { run_worker(*a, global); });
}

}  // namespace omniq::cli
