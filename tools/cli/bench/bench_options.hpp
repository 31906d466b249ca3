// The options of `omniq bench`, parsed and checked, and the entry points of
// its modes. Each mode returns one JSON object (see report.hpp) holding the
// figures it measured; nothing here asserts anything about speed.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "omniq/async.hpp"
#include "omniq/settings.hpp"

namespace omniq::cli::bench {

using Json = nlohmann::ordered_json;

class ScratchDir;

enum class Mode { throughput, latency, backlog };
enum class HandlerKind { sync, async };

struct BenchOptions {
  Backend backend = Backend::sqlite;
  Durability durability = Durability::full;
  Mode mode = Mode::throughput;
  HandlerKind handler = HandlerKind::sync;
  std::size_t tasks = 10000;                        // throughput: tasks per phase
  std::size_t single_tasks = 0;                     // throughput: single enqueues (0 = tasks)
  std::size_t concurrency = 4;                      // worker pool concurrency
  std::size_t prefetch = WorkerOptions{}.prefetch;  // worker pool prefetch
  std::size_t payload = 100;                        // bytes of argument per task
  std::size_t producers = 1;                        // threads doing single enqueues
  std::size_t workers = 1;                          // throughput: processes draining
  std::size_t batch = 100;                          // tasks per enqueue_many call
  bool raw_sqlite_baseline = false;                 // --baseline raw-sqlite
  bool raw_postgres_baseline = false;               // --baseline raw-postgres
  std::string db_url;  // postgres: the server (--db, OMNIQ_DB_URL); stores in scratch schemas
  std::string dir;     // where stores go; empty = a fresh temp dir
  bool keep = false;   // keep the stores afterwards
  bool json = false;
  bool progress = false;  // a progress display on stderr (a terminal)
  // latency
  std::size_t samples = 1000;
  double max_gap_ms = 4.0;  // gaps between enqueues: uniform in [0, max_gap_ms]
  bool cross_process = true;
  // backlog
  std::vector<std::size_t> backlog_sizes{10000, 1000000};
  std::size_t backlog_measure = 50000;  // drain rate over the first this many tasks
  bool backlog_drain_all = false;       // go on draining (RSS through the whole drain)
};

std::string to_string(Mode m);
std::string to_string(HandlerKind h);

// Fields every report starts with: backend, tasks, concurrency, durability,
// mode, version...
Json report_header(const BenchOptions& o);

// The modes; their stores go in `dir`.
Json run_throughput(const BenchOptions& o, const ScratchDir& dir);
Json run_latency(const BenchOptions& o, const ScratchDir& dir);
Json run_backlog(const BenchOptions& o, const ScratchDir& dir);
// The hand-written loop on SQLite (raw_sqlite.cpp), with o's durability.
Json run_raw_sqlite(const BenchOptions& o, const ScratchDir& dir);
// Adds "ratios" to a throughput report holding a "baseline" object.
void add_baseline_ratios(Json& report);

}  // namespace omniq::cli::bench
