#include "bench_store.hpp"

#include <stdlib.h>

#include <asio/awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "base/task_rules.hpp"
#include "measure.hpp"
#include "omniq/omniq.hpp"
#include "pg_scratch.hpp"
#include "progress.hpp"

namespace omniq::cli::bench {

ScratchDir::ScratchDir(const std::string& parent, bool keep, std::string pg_url)
    : keep_(keep), pg_url_(std::move(pg_url)) {
  std::string base = parent;
  if (base.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    base = tmp && *tmp ? tmp : "/tmp";
  }
  std::error_code ec;
  std::filesystem::create_directories(base, ec);
  std::string pattern = base + "/omniq-bench-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot create a directory in \"" + base +
                             "\": " + std::strerror(errno) + " (give a writable --dir)");
  }
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  if (keep_) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  if (!pg_url_.empty()) drop_pg_scratch(pg_url_, "");
}

void ScratchDir::remove(const std::string& name) const {
  if (keep_) return;
  if (!pg_url_.empty()) return drop_pg_scratch(pg_url_, name);
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove_all(*this / (name + suffix), ec);
  }
}

std::string to_string(Mode m) {
  switch (m) {
    case Mode::throughput:
      return "throughput";
    case Mode::latency:
      return "latency";
    case Mode::backlog:
      return "backlog";
  }
  return "?";
}

std::string to_string(HandlerKind h) {
  return h == HandlerKind::sync ? "sync" : "async";
}

Json report_header(const BenchOptions& o) {
  Json r;
  r["omniq_version"] = kVersion;
  r["mode"] = to_string(o.mode);
  r["backend"] = std::string(omniq::to_string(o.backend));
  r["durability"] = std::string(omniq::to_string(o.durability));
  r["tasks"] = o.tasks;
  r["concurrency"] = o.concurrency;
  r["prefetch"] = o.prefetch;
  r["producers"] = o.producers;
  r["payload_bytes"] = o.payload;
  r["batch"] = o.batch;
  r["handler"] = to_string(o.handler);
  return r;
}

std::string store_file_name(Backend backend, const std::string& name) {
  return backend == Backend::sqlite ? name + ".db" : name;
}

Settings store_settings(const BenchOptions& o, const std::string& dir, const std::string& name,
                        Durability durability) {
  Settings s;
  s.backend = o.backend;
  s.durability = durability;
  s.database_url = dir + "/" + store_file_name(Backend::sqlite, name);
  s.base_dir = dir + "/" + store_file_name(Backend::file, name);
  if (o.backend == Backend::postgres) s.database_url = pg_scratch_url(o.db_url, name);
  s.log_level = LogLevel::warning;
  s.validate();
  return s;
}

std::shared_ptr<Storage> open_store(const Settings& s) {
  return make_storage(s);
}

Value task_args(std::size_t i, std::int64_t stamp, const std::string& payload) {
  Value args = Value::array();
  args.push_back(i);
  args.push_back(stamp);
  args.push_back(payload);
  return args;
}

double enqueue_in_batches(OmniQ& oq, std::size_t n, std::size_t batch, const std::string& payload,
                          const std::string& label, Progress& progress) {
  std::atomic<std::size_t> done{0};
  progress.begin(label, n, done);
  auto start = SteadyClock::now();
  for (std::size_t i = 0; i < n; i += batch) {
    std::size_t end = std::min(n, i + batch);
    std::vector<Task> tasks;
    tasks.reserve(end - i);
    for (std::size_t j = i; j < end; ++j) {
      tasks.push_back(oq.make_task(kNoopTask, task_args(j, 0, payload)));
    }
    oq.enqueue_many(std::move(tasks));
    done.store(end, std::memory_order_relaxed);
  }
  double secs = seconds_since(start);
  progress.end();
  return secs;
}

Registry noop_registry(HandlerKind kind, std::function<void(const TaskContext&)> on_start) {
  Registry r;
  if (kind == HandlerKind::sync) {
    r.add(kNoopTask, [on_start](TaskContext& ctx) {
      if (on_start) on_start(ctx);
    });
  } else {
    r.add(kNoopTask, [on_start](TaskContext& ctx) -> asio::awaitable<void> {
      if (on_start) on_start(ctx);
      co_return;
    });
  }
  return r;
}

WorkerOptions worker_options(const BenchOptions& o) {
  WorkerOptions w;
  w.concurrency = o.concurrency;
  w.prefetch = o.prefetch;
  return w;
}

}  // namespace omniq::cli::bench
