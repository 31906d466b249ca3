// omniq_multihost_worker: one "host" of the multi-host test. It runs a
// WorkerPool on a PostgreSQL store (reached over TCP, from its own network
// namespace when the test has them) until SIGTERM or SIGINT, then stops
// gracefully, prints its counters and exits 0.
//
//   omniq_multihost_worker --url=postgresql://...?schema=S --host=h0 --log=FILE
//       [--concurrency=4] [--lease-ms=5000] [--maintenance-ms=500] [--hold=FILE]
//
// The task "multihost.run" [i, ms] appends "run <id> <attempt> <host>" to the
// log (one O_APPEND write, so the line survives a SIGKILL right after it),
// sleeps `ms`, then, while the file --hold exists, waits (appending
// "hold <id> <attempt> <host>" once): the test holds a host's tasks that way
// before it cuts the host off. An attempt the pool found it no longer owned
// (the store refused its outcome, or its lease was found taken over) appends
// "refused <id> <attempt> <host>". At start the worker appends "up <pid> <host>".
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include "omniq/omniq.hpp"
#include "support/processes.hpp"

namespace {

using namespace std::chrono;
using Args = std::map<std::string, std::string>;

std::string get(const Args& args, const std::string& name, const std::string& fallback = "") {
  auto it = args.find(name);
  return it == args.end() ? fallback : it->second;
}

long num(const Args& args, const std::string& name, long fallback) {
  return std::stol(get(args, name, std::to_string(fallback)));
}

// Appends lines with single write(2)s on an O_APPEND descriptor.
class Log {
 public:
  explicit Log(const std::string& path)
      : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) {
    if (fd_ < 0) throw std::runtime_error("cannot open the log " + path);
  }
  ~Log() { ::close(fd_); }
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  void line(const std::string& text) const {
    std::string l = text + "\n";
    if (::write(fd_, l.data(), l.size()) != static_cast<ssize_t>(l.size())) {
      throw std::runtime_error("short write to the log");
    }
  }

 private:
  int fd_;
};

int run(const Args& args, const sigset_t& stop_signals) {
  const std::string host = get(args, "host", "h?");
  const std::string hold = get(args, "hold");
  auto log = std::make_shared<Log>(get(args, "log"));

  omniq::Settings settings;
  settings.backend = omniq::Backend::postgres;
  settings.database_url = get(args, "url");
  settings.log_level = omniq::LogLevel::warning;
  settings.validate();
  omniq::OmniQ oq(settings);

  omniq::Registry registry;
  registry.add("multihost.run", [log, host, hold](omniq::TaskContext& ctx) {
    std::string which = ctx.id() + " " + std::to_string(ctx.attempt()) + " " + host;
    log->line("run " + which);
    std::this_thread::sleep_for(milliseconds(ctx.args().at(1).get<long>()));
    bool held = false;
    while (!hold.empty() && std::filesystem::exists(hold)) {
      if (!held) log->line("hold " + which);
      held = true;
      std::this_thread::sleep_for(milliseconds(10));
    }
  });

  omniq::WorkerOptions o;
  o.concurrency = static_cast<std::size_t>(num(args, "concurrency", 4));
  o.prefetch = 0;
  o.lease = milliseconds(num(args, "lease-ms", 5000));
  o.maintenance_interval = milliseconds(num(args, "maintenance-ms", 500));
  o.poll_interval = milliseconds(500);
  o.shutdown_grace = seconds(30);
  o.on_attempt = [log, host](const omniq::AttemptReport& a) {
    if (a.result == omniq::AttemptReport::Result::lost) {
      log->line("refused " + a.task.id + " " + std::to_string(a.task.attempts) + " " + host);
    }
  };
  omniq::WorkerPool pool = oq.worker(std::move(registry), o);
  log->line("up " + std::to_string(::getpid()) + " " + host);
  pool.start();
  std::printf("ready %d %s\n", static_cast<int>(::getpid()), host.c_str());
  std::fflush(stdout);

  int sig = 0;
  ::sigwait(&stop_signals, &sig);
  pool.stop();
  omniq::WorkerStats s = pool.stats();
  std::printf("stopped %s: claimed %llu succeeded %llu failed %llu lost %llu\n", host.c_str(),
              static_cast<unsigned long long>(s.claimed),
              static_cast<unsigned long long>(s.succeeded),
              static_cast<unsigned long long>(s.failed), static_cast<unsigned long long>(s.lost));
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const sigset_t stop_signals = omniq::testing::block_stop_signals();  // before any thread
  try {
    return run(omniq::testing::parse_flag_args(argc, argv), stop_signals);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "omniq_multihost_worker: %s\n", e.what());
    return 1;
  }
}
