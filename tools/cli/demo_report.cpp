#include "demo_report.hpp"

#include <algorithm>
#include <cstdio>
#include <ostream>

#include "base/serializer.hpp"
#include "demo_tasks.hpp"
#include "output.hpp"

namespace omniq::cli {

namespace {

// The examples shown: the first success of each kind of task.
std::vector<const Task*> samples(const DemoOutcome& o) {
  std::vector<const Task*> out;
  for (const Task& t : o.tasks) {
    auto r = o.results.find(t.id);
    if (t.status != TaskStatus::SUCCESS || r == o.results.end() || !r->second.result) continue;
    auto same = [&](const Task* s) { return s->func_path == t.func_path; };
    if (std::none_of(out.begin(), out.end(), same)) out.push_back(&t);
  }
  return out;
}

const Task* permanent_failure(const DemoOutcome& o) {
  for (const Task& t : o.tasks) {
    if (t.status == TaskStatus::FAILED) return &t;
  }
  return nullptr;
}

const Task* interval_task(const DemoOutcome& o) {
  for (const Task& t : o.tasks) {
    if (t.func_path == kDemoHeartbeat) return &t;
  }
  return nullptr;
}

}  // namespace

std::map<TaskStatus, std::size_t> count_by_status(const DemoOutcome& o) {
  std::map<TaskStatus, std::size_t> counts;
  for (const Task& t : o.tasks) ++counts[t.status];
  return counts;
}

void print_demo_summary(std::ostream& out, const DemoOutcome& o) {
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.1fs", o.elapsed_seconds);
  out << "\nSummary: " << o.tasks.size() << " tasks enqueued by this run on " << o.store << ", "
      << (o.finished ? "all done in " : "stopped waiting after ") << elapsed << "\n\n";
  Table counts({"STATUS", "COUNT"});
  for (const auto& [status, n] : count_by_status(o)) {
    counts.add_row({std::string(to_string(status)), std::to_string(n)});
  }
  counts.print(out, "  ");

  out << "\nSome results\n";
  Table results({"TASK", "ARGS", "ATTEMPTS", "RESULT"});
  for (const Task* t : samples(o)) {
    results.add_row({t->func_path, compact_json(t->args, 34), std::to_string(t->attempts),
                     compact_json(*o.results.at(t->id).result, 60)});
  }
  results.print(out, "  ");

  if (const Task* f = permanent_failure(o); f && f->error) {
    const TaskError& e = *f->error;
    out << "\nFailed for good after " << f->attempts << " attempts (max_retries " << f->max_retries
        << "): " << f->func_path << " " << compact_json(f->args) << "\n  task " << f->id
        << ", its TaskError:\n";
    Table error;
    error.add_row({"error_type", e.error_type});
    error.add_row({"message", e.message});
    error.add_row({"timestamp", format_time(e.timestamp)});
    error.add_row({"retry_count", std::to_string(e.retry_count)});
    error.add_row({"is_retryable", e.is_retryable ? "true" : "false"});
    error.add_row({"traceback", e.traceback.value_or("-")});
    error.print(out, "  ");
  }
  if (const Task* h = interval_task(o)) {
    out << "\nInterval task " << h->func_path << " ran " << o.heartbeats << " time(s), every "
        << format_age(h->schedule.interval.value_or(Duration{})) << "; the demo cancelled it ("
        << to_string(h->status) << ") so it does not run again.\n";
  }
  out << "\nLook around: omniq list --status failed, omniq status <id>, omniq stats\n";
}

Value demo_summary_json(const DemoOutcome& o) {
  Value counts = Value::object();
  for (TaskStatus s : kAllStatuses) counts[std::string(to_string(s))] = 0;
  for (const auto& [status, n] : count_by_status(o)) counts[std::string(to_string(status))] = n;
  Value tasks = Value::array();
  for (const Task& t : o.tasks) {
    Value row = {{"id", t.id},
                 {"func_path", t.func_path},
                 {"status", to_string(t.status)},
                 {"attempts", t.attempts}};
    if (auto it = o.results.find(t.id); it != o.results.end()) row["result"] = to_value(it->second);
    tasks.push_back(std::move(row));
  }
  Value out = {{"store", o.store},
               {"elapsed_seconds", o.elapsed_seconds},
               {"finished", o.finished},
               {"counts", counts},
               {"total", o.tasks.size()},
               {"tasks", tasks},
               {"interval_runs", o.heartbeats}};
  if (const Task* f = permanent_failure(o); f && f->error) {
    out["permanent_failure"] = {
        {"task_id", f->id}, {"func_path", f->func_path}, {"error", to_value(*f->error)}};
  }
  return out;
}

}  // namespace omniq::cli
