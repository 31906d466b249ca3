// omniq_reliability_worker: the worker process the fault tests start, kill
// and restart. It runs a WorkerPool over a store it opens itself, until
// SIGTERM or SIGINT, then stops gracefully and exits 0.
//
//   omniq_reliability_worker --backend=sqlite|file --store=PATH [--side=FILE]
//       [--concurrency=4] [--prefetch=4] [--lease-ms=2000] [--maintenance-ms=250]
//       [--durability=full] [--sleep-ms=0] [--result-ttl-ms=0]
//
// Handlers:
//   rec   appends "<task id>\n" to the side file (one O_APPEND write, so lines
//         from several processes never interleave), sleeps --sleep-ms, returns
//         the id. A line survives the process being killed right after it.
//   noop  returns at once.
//
// `--mode=contend --id=N --tasks=K --total=T` instead takes part in the
// contention test: it enqueues K tasks while claiming and finishing whatever
// is due, appending each claimed id to the side file, until T tasks are done.
// Any error is printed and gives exit code 1.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>
#include <thread>

#include "omniq/omniq.hpp"
#include "reliability/contender.hpp"

namespace {

using namespace std::chrono;
using Args = std::map<std::string, std::string>;

Args parse_args(int argc, char** argv) {
  Args out;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto eq = a.find('=');
    if (a.rfind("--", 0) != 0 || eq == std::string::npos) {
      throw std::invalid_argument("expected --name=value, got " + a);
    }
    out[a.substr(2, eq - 2)] = a.substr(eq + 1);
  }
  return out;
}

std::string get(const Args& args, const std::string& name, const std::string& fallback) {
  auto it = args.find(name);
  return it == args.end() ? fallback : it->second;
}
long num(const Args& args, const std::string& name, long fallback) {
  return std::stol(get(args, name, std::to_string(fallback)));
}

std::shared_ptr<omniq::Storage> open_store(const Args& args) {
  auto durability = omniq::parse_durability(get(args, "durability", "full"));
  if (!durability) throw std::invalid_argument("bad --durability");
  if (get(args, "backend", "sqlite") == "file") {
    omniq::FileStorage::Options o;
    o.base_dir = get(args, "store", "");
    o.durability = *durability;
    return std::make_shared<omniq::FileStorage>(o);
  }
  omniq::SQLiteStorage::Options o;
  o.path = get(args, "store", "");
  o.durability = *durability;
  return std::make_shared<omniq::SQLiteStorage>(o);
}

// Appends one line with a single write(2) on an O_APPEND descriptor.
class SideFile {
 public:
  explicit SideFile(const std::string& path) {
    if (path.empty()) return;
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ < 0) throw std::runtime_error("cannot open side file " + path);
  }
  ~SideFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  void append(const std::string& id) const {
    if (fd_ < 0) return;
    std::string line = id + "\n";
    if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      throw std::runtime_error("short write to the side file");
    }
  }

 private:
  int fd_ = -1;
};

int run_worker(const Args& args, const sigset_t& stop_signals) {
  omniq::Settings settings;
  settings.log_level = omniq::LogLevel::warning;
  settings.result_ttl = milliseconds(num(args, "result-ttl-ms", 7 * 24 * 3600 * 1000L));
  omniq::set_log_level(settings.log_level);
  omniq::OmniQ oq(open_store(args), settings);

  auto side = std::make_shared<SideFile>(get(args, "side", ""));
  milliseconds sleep_for(num(args, "sleep-ms", 0));
  omniq::Registry registry;
  registry.add("rec", [side, sleep_for](omniq::TaskContext& ctx) {
    side->append(ctx.id());
    if (sleep_for.count() > 0) std::this_thread::sleep_for(sleep_for);
    return ctx.id();
  });
  registry.add("noop", [] { return 0; });

  omniq::WorkerOptions o;
  o.concurrency = static_cast<std::size_t>(num(args, "concurrency", 4));
  o.prefetch = static_cast<std::size_t>(num(args, "prefetch", 4));
  o.lease = milliseconds(num(args, "lease-ms", 2000));
  o.maintenance_interval = milliseconds(num(args, "maintenance-ms", 250));
  o.poll_interval = milliseconds(100);
  o.shutdown_grace = seconds(10);
  omniq::WorkerPool pool = oq.worker(std::move(registry), o);
  pool.start();
  std::printf("ready %d\n", static_cast<int>(::getpid()));
  std::fflush(stdout);

  int sig = 0;
  ::sigwait(&stop_signals, &sig);
  pool.stop();
  omniq::WorkerStats s = pool.stats();
  std::printf("stopped: claimed %llu succeeded %llu failed %llu lost %llu\n",
              static_cast<unsigned long long>(s.claimed),
              static_cast<unsigned long long>(s.succeeded),
              static_cast<unsigned long long>(s.failed), static_cast<unsigned long long>(s.lost));
  return 0;
}

int run_contender(const Args& args) {
  auto store = open_store(args);
  SideFile side(get(args, "side", ""));
  omniq::reliability::contend(*store, static_cast<int>(num(args, "id", 0)),
                              static_cast<int>(num(args, "tasks", 100)),
                              static_cast<std::size_t>(num(args, "total", 100)),
                              [&](const std::string& id) { side.append(id); });
  store->close();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Block the stop signals before any thread starts, so every thread inherits
  // the mask and sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  try {
    Args args = parse_args(argc, argv);
    if (get(args, "mode", "worker") == "contend") return run_contender(args);
    return run_worker(args, stop_signals);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "omniq_reliability_worker: %s\n", e.what());
    return 1;
  }
}
