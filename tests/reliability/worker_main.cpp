// omniq_reliability_worker: the worker process the fault tests start, kill
// and restart. It runs a WorkerPool over a store it opens itself, until
// SIGTERM or SIGINT, then stops gracefully and exits 0. The store is opened
// through make_storage, as the tests open it (fault_fixture.hpp).
//
//   omniq_reliability_worker --backend=sqlite|file --store=PATH [--side=FILE]
//       [--concurrency=4] [--prefetch=4] [--lease-ms=2000] [--maintenance-ms=250]
//       [--durability=full] [--sleep-ms=0] [--result-ttl-ms=0]
//       [--backoff-base-ms=1000] [--backoff-max-ms=300000]
//
// The backoff is that of retries, a lost worker's tasks' included: the
// worker whose maintenance recovers them schedules them after it.
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

#include "base/task_rules.hpp"
#include "omniq/omniq.hpp"
#include "reliability/contender.hpp"
#include "support/processes.hpp"

namespace {

using namespace std::chrono;
using Args = std::map<std::string, std::string>;

std::string get(const Args& args, const std::string& name, const std::string& fallback) {
  auto it = args.find(name);
  return it == args.end() ? fallback : it->second;
}
long num(const Args& args, const std::string& name, long fallback) {
  return std::stol(get(args, name, std::to_string(fallback)));
}

// The settings naming the store: --backend, --store (the file store's
// directory or the SQLite file), --durability.
omniq::Settings store_settings(const Args& args) {
  omniq::Settings s;
  auto backend = omniq::parse_backend(get(args, "backend", "sqlite"));
  if (!backend) throw std::invalid_argument("bad --backend");
  auto durability = omniq::parse_durability(get(args, "durability", "full"));
  if (!durability) throw std::invalid_argument("bad --durability");
  s.backend = *backend;
  s.base_dir = get(args, "store", "");
  s.database_url = get(args, "store", "");
  s.durability = *durability;
  return s;
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
  omniq::Settings settings = store_settings(args);
  settings.log_level = omniq::LogLevel::warning;
  settings.result_ttl = milliseconds(num(args, "result-ttl-ms", 7 * 24 * 3600 * 1000L));
  settings.retry_backoff_base = milliseconds(num(args, "backoff-base-ms", 1000));
  settings.retry_backoff_max = milliseconds(num(args, "backoff-max-ms", 300000));
  omniq::OmniQ oq(settings);  // builds the store (make_storage)

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
  auto store = omniq::make_storage(store_settings(args));
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
  const sigset_t stop_signals = omniq::testing::block_stop_signals();  // before any thread
  try {
    Args args = omniq::testing::parse_flag_args(argc, argv);
    if (get(args, "mode", "worker") == "contend") return run_contender(args);
    return run_worker(args, stop_signals);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "omniq_reliability_worker: %s\n", e.what());
    return 1;
  }
}
