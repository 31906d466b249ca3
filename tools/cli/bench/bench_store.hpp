// The stores, tasks and handlers `omniq bench` works with, and ScratchDir:
// a fresh directory for one run, created under --dir (default $TMPDIR or
// /tmp) as omniq-bench-XXXXXX and removed with the object unless it is kept.
// Every store of the run lives inside it, or, on PostgreSQL, in a scratch
// schema of its own (pg_scratch.hpp), dropped with the object likewise.
// Internal to the bench command.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bench_options.hpp"
#include "omniq/omniq.hpp"
#include "omniq/registry.hpp"
#include "omniq/storage.hpp"

namespace omniq {
class OmniQ;
}

namespace omniq::cli::bench {

class Progress;

class ScratchDir {
 public:
  // Throws std::runtime_error when the directory cannot be created.
  // `pg_url`: the PostgreSQL server of a postgres run, else empty.
  ScratchDir(const std::string& parent, bool keep, std::string pg_url = "");
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name.
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  // Removes path()/name (a file and its SQLite -wal/-shm companions, or a
  // directory tree), or drops store name's schema, so a later phase starts
  // with the disk space back.
  void remove(const std::string& name) const;

 private:
  std::string path_;
  bool keep_;
  std::string pg_url_;
};

// The handler every bench task names: it does nothing (or, for latency, calls
// the bench's callback first).
inline constexpr const char* kNoopTask = "bench.noop";

// Settings for the store `name` inside `dir` (an SQLite file dir/name.db, or
// the file store's directory dir/name), or on PostgreSQL in schema
// pg_scratch_schema(name), with the given durability; log level warning so
// that lifecycle lines do not mix with the figures.
Settings store_settings(const BenchOptions& o, const std::string& dir, const std::string& name,
                        Durability durability);

// Opens the store the settings name (a new one for the memory backend).
std::shared_ptr<Storage> open_store(const Settings& s);

// The file or directory name of store `name` inside a ScratchDir.
std::string store_file_name(Backend backend, const std::string& name);

// The arguments of bench task i: [i, stamp, "<payload bytes>"], where stamp
// is a realtime_ns() send time for latency runs and 0 otherwise.
Value task_args(std::size_t i, std::int64_t stamp, const std::string& payload);

// Enqueues tasks 0..n-1 (task_args(i, 0, payload)) through
// OmniQ::enqueue_many in batches of `batch`, task creation included (an
// application pays for it too), showing `label` in `progress`. Returns seconds.
double enqueue_in_batches(OmniQ& oq, std::size_t n, std::size_t batch, const std::string& payload,
                          const std::string& label, Progress& progress);

// A registry holding kNoopTask as a sync (worker thread) or async (event
// loop) handler; on_start, if set, runs first with the task's context.
Registry noop_registry(HandlerKind kind, std::function<void(const TaskContext&)> on_start = {});

// Worker options from --concurrency and --prefetch.
WorkerOptions worker_options(const BenchOptions& o);

}  // namespace omniq::cli::bench
