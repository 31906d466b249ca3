// omniq cancel ID | omniq purge [--older-than D] | omniq stats
// omniq queue pause|resume NAME | omniq queue list
#include <algorithm>
#include <iostream>
#include <memory>

#include "arguments.hpp"
#include "base/task_rules.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace omniq::cli {

namespace {

void run_cancel(const std::string& id, const GlobalOptions& global) {
  checked_id(id);
  Settings settings = global.settings();
  auto queue = open_queue(settings);
  if (!queue->oq.get_task(id)) throw_no_task(id, settings);
  CancelResult r = queue->oq.cancel(id);
  std::optional<Task> task = queue->oq.get_task(id);
  std::string status = task ? std::string(to_string(task->status)) : "unknown";
  const char* outcome = r == CancelResult::cancelled   ? "cancelled"
                        : r == CancelResult::requested ? "requested"
                                                       : "already_finished";
  if (global.json) {
    print_json(std::cout, {{"id", id}, {"outcome", outcome}, {"status", status}});
  } else if (r == CancelResult::cancelled) {
    std::cout << "cancelled " << id << "\n";
  } else if (r == CancelResult::requested) {
    std::cout << "cancel requested: " << id << " is running; its worker will stop it\n";
  }
  if (r == CancelResult::already_finished) {
    throw CommandFailed("task " + id + " already finished (" + status + "); nothing to cancel");
  }
}

void run_purge(const std::optional<std::string>& older_than, const GlobalOptions& global) {
  Settings settings = global.settings();
  Duration age = older_than ? parse_duration_arg("--older-than", *older_than) : settings.result_ttl;
  auto queue = open_queue(settings);
  Timestamp cutoff = system_clock()->now() - age;
  std::size_t purged = queue->storage->purge_results(cutoff);
  if (global.json) {
    print_json(std::cout, {{"purged", purged}, {"older_than_seconds", to_seconds(age)}});
  } else {
    std::cout << "purged " << purged << " result(s) of tasks finished more than " << format_age(age)
              << " ago\n";
  }
}

Value counts_json(const StatusCounts& counts) {
  Value out = Value::object();
  for (TaskStatus st : kAllStatuses)
    out[std::string(to_string(st))] = counts[static_cast<std::size_t>(st)];
  return out;
}

void run_stats(const GlobalOptions& global) {
  Settings settings = global.settings();
  auto queue = open_queue(settings);
  QueueStats s = queue->oq.stats();
  std::optional<Duration> age;
  if (s.oldest_pending) age = system_clock()->now() - *s.oldest_pending;
  if (global.json) {
    Value queues = Value::object();
    for (const auto& [name, counts] : s.queues) queues[name] = counts_json(counts);
    Value out = {{"store", describe_store(settings)},
                 {"counts", counts_json(s.counts)},
                 {"queues", queues},
                 {"paused", s.paused},
                 {"total", s.total()}};
    out["oldest_pending"] = s.oldest_pending ? Value(format_time(*s.oldest_pending)) : Value();
    out["oldest_pending_age_seconds"] = age ? Value(to_seconds(*age)) : Value();
    print_json(std::cout, out);
    return;
  }
  std::vector<std::string> header{"QUEUE"};
  for (TaskStatus st : kAllStatuses) header.emplace_back(to_string(st));
  header.emplace_back("TOTAL");
  Table table(header);
  auto row = [&](const std::string& name, const StatusCounts& counts) {
    std::vector<std::string> cells{name};
    std::size_t total = 0;
    for (std::size_t n : counts) {
      cells.push_back(std::to_string(n));
      total += n;
    }
    cells.push_back(std::to_string(total));
    table.add_row(cells);
  };
  for (const auto& [name, counts] : s.queues) {
    bool paused = std::find(s.paused.begin(), s.paused.end(), name) != s.paused.end();
    row(paused ? name + " (paused)" : name, counts);
  }
  row("all", s.counts);
  std::cout << describe_store(settings) << "\n";
  table.print(std::cout, "  ");
  if (age) {
    std::cout << "oldest waiting task: created " << format_age(*age) << " ago ("
              << format_when(s.oldest_pending) << ")\n";
  } else {
    std::cout << "no waiting tasks\n";
  }
}

void run_queue(const std::string& action, const std::string& name, const GlobalOptions& global) {
  Settings settings = global.settings();
  auto queue = open_queue(settings);
  if (action == "list") {
    QueueStats s = queue->oq.stats();
    if (global.json) {
      print_json(std::cout, {{"paused", s.paused}});
    } else if (s.paused.empty()) {
      std::cout << "no queue is paused\n";
    } else {
      for (const std::string& q : s.paused) std::cout << q << " (paused)\n";
    }
    return;
  }
  if (name.empty()) throw UsageError("omniq queue " + action + " needs the queue's NAME");
  try {
    validate_name(name, "queue");
  } catch (const ValidationError& e) {
    throw UsageError(e.what());
  }
  bool pause = action == "pause";
  if (pause) {
    queue->oq.pause_queue(name);
  } else {
    queue->oq.resume_queue(name);
  }
  if (global.json) {
    print_json(std::cout, {{"queue", name}, {"paused", pause}});
  } else {
    std::cout << "queue " << name
              << (pause ? " paused: workers claim none of its tasks\n" : " resumed\n");
  }
}

}  // namespace

void add_admin_commands(CLI::App& app, GlobalOptions& global) {
  auto id = std::make_shared<std::string>();
  CLI::App* cancel = app.add_subcommand("cancel", "Cancel a waiting task, or stop a running one");
  cancel->add_option("ID", *id, "the task id printed by omniq enqueue")->type_name("")->required();
  cancel->footer("Exit code 1 when the task had already finished.");
  cancel->callback([id, &global] { run_cancel(*id, global); });

  auto older = std::make_shared<std::optional<std::string>>();
  CLI::App* purge = app.add_subcommand("purge", "Delete finished tasks and their results");
  purge
      ->add_option("--older-than", *older,
                   "only those finished more than this long ago, e.g. 7d (default: "
                   "OMNIQ_RESULT_TTL)")
      ->type_name("DURATION");
  purge->callback([older, &global] { run_purge(*older, global); });

  CLI::App* stats =
      app.add_subcommand("stats", "Count tasks per status; age of the oldest waiting");
  stats->callback([&global] { run_stats(global); });

  auto action = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  CLI::App* queue = app.add_subcommand("queue", "Pause or resume a queue (in every worker)");
  queue->add_option("ACTION", *action, "pause, resume or list")
      ->type_name("")
      ->required()
      ->check(CLI::IsMember({"pause", "resume", "list"}));
  queue->add_option("NAME", *name, "the queue")->type_name("");
  queue->footer("A paused queue keeps its tasks; workers claim none of them until it is resumed.");
  queue->callback([action, name, &global] { run_queue(*action, *name, global); });
}

}  // namespace omniq::cli
