// omniq demo: a realistic run on the embedded default store.
//
// Enqueues the mix of demo_tasks.hpp, runs a worker pool in this process,
// shows progress while the tasks run, then a summary of this run's tasks.
// Safe to run again on the same store: it reports only on the tasks it
// enqueued, cancels its interval task at the end (and any left waiting by an
// interrupted earlier run), and refuses to start when the store holds waiting
// tasks that are not the demo's, which its worker would otherwise claim.
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include "arguments.hpp"
#include "commands.hpp"
#include "demo_report.hpp"
#include "demo_tasks.hpp"
#include "output.hpp"
#include "progress.hpp"

namespace omniq::cli {

namespace {

using namespace std::chrono_literals;

constexpr auto kBudget = 12s;   // the whole run, worst case
constexpr int kHeartbeats = 3;  // interval runs to see before finishing
constexpr auto kTick = 100ms;   // progress refresh

Settings demo_settings(const GlobalOptions& global) {
  Settings s = global.settings();
  s.retry_backoff_base = 200ms;  // retries within the demo's few seconds
  s.retry_backoff_max = 2s;
  if (std::getenv("OMNIQ_LOG_LEVEL") == nullptr) s.log_level = LogLevel::error;
  return s;
}

// Refuses a store with waiting tasks that are not the demo's; cancels the
// interval tasks an interrupted earlier demo left waiting.
void prepare_store(OmniQ& oq, const Settings& settings) {
  for (TaskStatus status : {TaskStatus::PENDING, TaskStatus::RETRYING}) {
    for (const Task& t : oq.list_tasks({.status = status, .limit = 100000})) {
      if (t.func_path.rfind(kDemoPrefix, 0) != 0) {
        throw CommandFailed(describe_store(settings) +
                            " holds waiting tasks that are not the "
                            "demo's (e.g. " +
                            t.id + " " + t.func_path +
                            "); the demo's worker would claim them. Run the demo on its own "
                            "store, e.g. omniq --db demo.db demo");
      }
      if (t.func_path == kDemoHeartbeat) oq.cancel(t.id);
    }
  }
}

struct Seen {
  TaskStatus status = TaskStatus::PENDING;
  int attempts = 0;
  std::optional<Timestamp> error_at;
};

class DemoRun {
 public:
  DemoRun(OmniQ& oq, Progress* progress) : oq_(oq), progress_(progress) {}

  void enqueue(const std::vector<DemoTask>& plan) {
    for (const DemoTask& d : plan) {
      std::string id = oq_.enqueue(d.func_path, d.args, d.options);
      ids_.push_back(id);
      if (d.options.interval) {
        heartbeat_ = id;
        say("every " + format_age(*d.options.interval) + "  " + d.func_path + " (interval task)");
      } else if (d.options.delay) {
        say("later  " + d.func_path + " " + compact_json(d.args) + " in " +
            format_age(*d.options.delay));
      }
    }
    say("queued " + std::to_string(ids_.size()) + " tasks; worker pool started");
  }

  // Reads every task once, reporting what changed; `running` is how many
  // handlers run right now. Returns how many of the tasks that run once
  // have finished.
  std::size_t poll(std::size_t running) {
    tasks_.clear();
    std::size_t done = 0, retrying = 0, later = 0;
    Timestamp now = system_clock()->now();
    for (const std::string& id : ids_) {
      std::optional<Task> t = oq_.get_task(id);
      if (!t) continue;
      report_change(*t);
      if (id != heartbeat_ && is_terminal(t->status)) ++done;
      retrying += t->status == TaskStatus::RETRYING;
      later += t->status == TaskStatus::PENDING && t->schedule.eta && *t->schedule.eta > now &&
               id != heartbeat_;
      tasks_.push_back(std::move(*t));
    }
    if (progress_) {
      progress_->update(done, "run " + std::to_string(running) + "  retry " +
                                  std::to_string(retrying) + "  later " + std::to_string(later) +
                                  "  beats " + std::to_string(heartbeats_));
    }
    return done;
  }

  std::size_t once_count() const { return ids_.size() - (heartbeat_.empty() ? 0 : 1); }
  int heartbeats() const { return heartbeats_; }
  const std::string& heartbeat_id() const { return heartbeat_; }
  const std::vector<Task>& tasks() const { return tasks_; }

 private:
  void say(const std::string& text) {
    if (progress_) progress_->event(text);
  }

  void report_change(const Task& t) {
    Seen& s = seen_[t.id];
    std::string what = t.func_path + " " + compact_json(t.args, 40);
    if (t.id == heartbeat_ && t.attempts > heartbeats_ && t.status == TaskStatus::PENDING) {
      heartbeats_ = t.attempts;
      say("tick   " + t.func_path + " run " + std::to_string(t.attempts));
    }
    bool new_error = t.error && (!s.error_at || *s.error_at != t.error->timestamp);
    if (new_error && t.status != TaskStatus::FAILED && t.status != TaskStatus::CANCELLED) {
      say("retry  " + what + ": attempt " + std::to_string(t.error->retry_count + 1) +
          " failed with " + t.error->error_type + "; retrying after a backoff");
    }
    if (t.status != s.status) {
      if (t.status == TaskStatus::SUCCESS) {
        auto r = oq_.get_result(t.id, {});
        say("done   " + what + " -> " + (r && r->result ? compact_json(*r->result, 50) : "?") +
            (t.attempts > 1 ? "  (attempt " + std::to_string(t.attempts) + ")" : ""));
      } else if (t.status == TaskStatus::FAILED && t.error) {
        say("FAILED " + what + " after " + std::to_string(t.attempts) +
            " attempts: " + t.error->error_type);
      } else if (t.status == TaskStatus::CANCELLED) {
        say("cancel " + t.func_path + " (cancelled by the demo)");
      }
    }
    s.status = t.status;
    s.attempts = t.attempts;
    if (t.error) s.error_at = t.error->timestamp;
  }

  OmniQ& oq_;
  Progress* progress_;
  std::vector<std::string> ids_;
  std::string heartbeat_;
  std::map<std::string, Seen> seen_;
  std::vector<Task> tasks_;
  int heartbeats_ = 0;
};

void run_demo(const GlobalOptions& global) {
  Settings settings = demo_settings(global);
  auto queue = open_queue(settings);
  OmniQ& oq = queue->oq;
  prepare_store(oq, settings);

  bool tty = !global.json && stdout_is_terminal();
  std::vector<DemoTask> plan = demo_plan();
  std::optional<Progress> progress;
  if (!global.json) {
    std::cout << "omniq demo on " << describe_store(settings) << ": " << plan.size()
              << " tasks, a worker pool of 4, retry backoff 200ms\n\n";
    progress.emplace(std::cout, tty, plan.size() - 1);
  }
  auto start = std::chrono::steady_clock::now();
  auto state = std::make_shared<DemoState>();
  WorkerPool pool = oq.worker(demo_registry(state),
                              {.concurrency = 4, .poll_interval = 200ms, .shutdown_grace = 2s});
  pool.start();
  DemoRun run(oq, progress ? &*progress : nullptr);
  run.enqueue(plan);

  bool finished = false;
  while (std::chrono::steady_clock::now() - start < kBudget) {
    if (run.poll(pool.stats().running) == run.once_count() && state->heartbeats >= kHeartbeats) {
      finished = true;
      break;
    }
    std::this_thread::sleep_for(kTick);
  }
  // The interval task would run for ever: cancel it, and see it end.
  oq.cancel(run.heartbeat_id());
  auto until = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < until) {
    auto t = oq.get_task(run.heartbeat_id());
    if (!t || is_terminal(t->status)) break;
    std::this_thread::sleep_for(20ms);
  }
  pool.stop();
  run.poll(0);
  if (progress) progress->finish();

  DemoOutcome outcome;
  outcome.store = describe_store(settings);
  outcome.elapsed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  outcome.finished = finished;
  outcome.tasks = run.tasks();
  outcome.heartbeats = state->heartbeats;
  for (const Task& t : outcome.tasks) {
    if (auto r = oq.get_result(t.id, {})) outcome.results.emplace(t.id, *r);
  }
  if (global.json) {
    print_json(std::cout, demo_summary_json(outcome));
  } else {
    print_demo_summary(std::cout, outcome);
  }
  if (!finished) {
    throw CommandFailed("the demo's tasks did not all finish within " + format_age(kBudget) +
                        " (is the machine very busy?)");
  }
}

}  // namespace

void add_demo_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = app.add_subcommand(
      "demo", "Run a realistic mix of tasks on the embedded store and show what happened");
  cmd->footer(
      "Uses the store the global options or OMNIQ_* name (default: SQLite ./omniq.db, created "
      "if absent).\nTakes about 5 seconds; safe to run again (it reports only on its own "
      "tasks).");
  cmd->callback([&global] { run_demo(global); });
}

}  // namespace omniq::cli
