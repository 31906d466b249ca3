// `omniq bench`: throughput, latency and backlog figures for a backend, with
// a hand-written loop (SQLite or libpq) as a baseline in the same run.
//
//   omniq bench --backend sqlite --durability full --tasks 10000 --baseline raw-sqlite --json
//   omniq bench --backend postgres --db postgresql://u@host/db --baseline raw-postgres
//   omniq bench --mode latency --samples 1000
//   omniq bench --mode backlog --backlog-sizes 10000,1000000
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <memory>

#include "base/task_rules.hpp"
#include "bench/bench_options.hpp"
#include "bench/bench_store.hpp"
#include "bench/pg_scratch.hpp"
#include "bench/progress.hpp"
#include "commands.hpp"

namespace omniq::cli {
namespace {

using bench::BenchOptions;

// What the command line gives, before it is checked.
struct BenchArgs {
  std::optional<std::string> backend;
  std::string durability = "full";
  std::string mode = "throughput";
  std::string handler = "sync";
  std::string baseline;
  bool json = false;
  bool no_progress = false;
  BenchOptions o;
};

std::string show(const bench::Json& v) {
  if (v.is_null()) return "n/a";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    std::ostringstream s;
    s << std::fixed << std::setprecision(d < 10 ? 3 : 0) << d;
    return s.str();
  }
  return v.dump();
}

void print_object(const bench::Json& obj, int indent, std::ostream& out) {
  for (const auto& [key, value] : obj.items()) {
    out << std::string(static_cast<std::size_t>(indent), ' ');
    if (value.is_object()) {
      out << key << ":\n";
      print_object(value, indent + 2, out);
    } else if (value.is_array()) {
      out << key << ":\n";
      for (const bench::Json& item : value) {
        out << std::string(static_cast<std::size_t>(indent + 2), ' ') << "-\n";
        print_object(item, indent + 4, out);
      }
    } else {
      out << std::left << std::setw(30 - indent) << key << ' ' << show(value) << '\n';
    }
  }
}

// One JSON object (--json), or the same fields as aligned lines for a person.
void print_report(const bench::Json& report, bool as_json, std::ostream& out) {
  if (as_json) {
    out << report.dump() << '\n';
    return;
  }
  print_object(report, 0, out);
}

void check_positive(std::size_t v, const char* flag) {
  if (v == 0) throw UsageError(std::string(flag) + " is 0: expected 1 or more");
}

BenchOptions checked(const BenchArgs& a, const GlobalOptions& global) {
  BenchOptions o = a.o;
  std::string backend = a.backend.value_or(global.backend.value_or("sqlite"));
  auto b = parse_backend(backend);
  if (!b) {
    throw UsageError("--backend \"" + backend + "\": expected memory, file, sqlite or postgres");
  }
  o.backend = *b;
  if (o.backend == Backend::postgres) {
    const char* env = std::getenv("OMNIQ_DB_URL");
    Settings s;
    s.database_url = global.db.value_or(env ? env : "");
    if (!is_postgres_url(s)) {
      throw UsageError(
          "--backend postgres needs a server: --db postgresql://user@host:port/db "
          "(or OMNIQ_DB_URL); the bench works in scratch schemas bench_<pid>_* "
          "that it drops at the end");
    }
    o.db_url = s.database_url;
  }
  auto d = parse_durability(a.durability);
  if (!d) throw UsageError("--durability \"" + a.durability + "\": expected full, normal or off");
  o.durability = *d;
  o.mode = a.mode == "latency"   ? bench::Mode::latency
           : a.mode == "backlog" ? bench::Mode::backlog
                                 : bench::Mode::throughput;
  o.handler = a.handler == "async" ? bench::HandlerKind::async : bench::HandlerKind::sync;
  o.raw_sqlite_baseline = a.baseline == "raw-sqlite";
  o.raw_postgres_baseline = a.baseline == "raw-postgres";
  if (!a.baseline.empty() && o.mode != bench::Mode::throughput) {
    throw UsageError("--baseline " + a.baseline +
                     " goes with --mode throughput (the loop it measures is the throughput loop)");
  }
  if (o.raw_postgres_baseline && o.backend != Backend::postgres) {
    throw UsageError("--baseline raw-postgres goes with --backend postgres (the same server)");
  }
  o.json = a.json || global.json;
  o.progress = !a.no_progress && bench::Progress::stderr_is_terminal();
  check_positive(o.tasks, "--tasks");
  check_positive(o.concurrency, "--concurrency");
  check_positive(o.producers, "--producers");
  check_positive(o.workers, "--workers");
  if (o.workers > 1 && (o.mode != bench::Mode::throughput || o.backend == Backend::memory)) {
    throw UsageError(
        "--workers goes with --mode throughput on a store processes share (not memory)");
  }
  check_positive(o.batch, "--batch");
  check_positive(o.samples, "--samples");
  check_positive(o.backlog_measure, "--backlog-measure");
  if (o.backlog_sizes.empty()) throw UsageError("--backlog-sizes is empty: give sizes like 10000");
  for (std::size_t s : o.backlog_sizes) check_positive(s, "a --backlog-sizes entry");
  if (!(o.max_gap_ms >= 0)) throw UsageError("--max-gap-ms must be 0 or more");
  return o;
}

void run(const BenchArgs& args, const GlobalOptions& global) {
  BenchOptions o = checked(args, global);
  bench::ScratchDir dir(o.dir, o.keep, o.db_url);
  if (o.keep) {
    std::cerr << "omniq bench: stores kept in "
              << (o.db_url.empty() ? dir.path()
                                   : "the schemas " + bench::pg_scratch_schema("") + "*")
              << "\n";
  }
  bench::Json report;
  switch (o.mode) {
    case bench::Mode::throughput:
      report = bench::run_throughput(o, dir);  // with the baseline, if asked for
      break;
    case bench::Mode::latency:
      report = bench::run_latency(o, dir);
      break;
    case bench::Mode::backlog:
      report = bench::run_backlog(o, dir);
      break;
  }
  print_report(report, o.json, std::cout);
}

}  // namespace

void add_bench_command(CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<BenchArgs>();
  BenchOptions& o = args->o;
  CLI::App* cmd = app.add_subcommand(
      "bench", "measure enqueue and drain throughput, latency, and drain under a backlog");
  cmd->add_option("--backend", args->backend,
                  "memory, file, sqlite or postgres (default sqlite; postgres: the server of "
                  "--db or OMNIQ_DB_URL)")
      ->check(CLI::IsMember({"memory", "file", "sqlite", "postgres"}));
  cmd->add_option("--mode", args->mode, "throughput, latency or backlog")
      ->check(CLI::IsMember({"throughput", "latency", "backlog"}))
      ->capture_default_str();
  cmd->add_option("--durability", args->durability, "full, normal or off")
      ->check(CLI::IsMember({"full", "normal", "off"}))
      ->capture_default_str();
  cmd->add_option("--tasks", o.tasks, "tasks per throughput phase")->capture_default_str();
  cmd->add_option("--single-tasks", o.single_tasks,
                  "single enqueue calls to time (default: --tasks)");
  cmd->add_option("--concurrency", o.concurrency, "worker pool concurrency")->capture_default_str();
  cmd->add_option("--prefetch", o.prefetch, "worker pool prefetch")->capture_default_str();
  cmd->add_option("--payload", o.payload, "argument bytes per task")->capture_default_str();
  cmd->add_option("--producers", o.producers, "threads doing single enqueues")
      ->capture_default_str();
  cmd->add_option("--workers", o.workers,
                  "processes draining the store at once, each with --concurrency slots")
      ->capture_default_str();
  cmd->add_option("--batch", o.batch, "tasks per enqueue_many call (and per baseline transaction)")
      ->capture_default_str();
  cmd->add_option("--handler", args->handler, "no-op handler kind: sync (worker thread) or async")
      ->check(CLI::IsMember({"sync", "async"}))
      ->capture_default_str();
  cmd->add_option("--baseline", args->baseline,
                  "raw-sqlite or raw-postgres: also run the hand-written SQLite or libpq loop and "
                  "report ratios")
      ->check(CLI::IsMember({"raw-sqlite", "raw-postgres"}));
  cmd->add_option("--dir", o.dir,
                  "where the stores go (a fresh directory inside; default $TMPDIR)");
  cmd->add_flag("--keep", o.keep, "keep the stores afterwards");
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->add_flag("--no-progress", args->no_progress, "no progress display on a terminal");
  cmd->add_option("--samples", o.samples, "latency: enqueues per producer")->capture_default_str();
  cmd->add_option("--max-gap-ms", o.max_gap_ms, "latency: gaps are uniform in [0, this]")
      ->capture_default_str();
  cmd->add_flag("!--no-cross-process", o.cross_process, "latency: skip the second process");
  cmd->add_option("--backlog-sizes", o.backlog_sizes, "backlog: queue sizes to measure")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--backlog-measure", o.backlog_measure, "backlog: tasks the rate is taken over")
      ->capture_default_str();
  cmd->add_flag("--backlog-drain-all", o.backlog_drain_all,
                "backlog: drain every queued task (memory through the whole drain)");
  cmd->callback([args, &global] { run(*args, global); });
}

}  // namespace omniq::cli
