// omniq status ID | omniq result ID [--wait [--timeout D]] | omniq list [--status S] [--limit N]
#include <iostream>
#include <memory>

#include "arguments.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace omniq::cli {

namespace {

std::string error_line(const TaskError& e) {
  return e.error_type + ": " + e.message;
}

void print_task(const Task& t) {
  Table table;
  table.add_row({"id", t.id});
  table.add_row({"func_path", t.func_path});
  table.add_row({"status", std::string(to_string(t.status))});
  table.add_row({"args", compact_json(t.args, 200)});
  if (!t.kwargs.empty()) table.add_row({"kwargs", compact_json(t.kwargs, 200)});
  table.add_row({"attempts", std::to_string(t.attempts) + " (max_retries " +
                                 std::to_string(t.max_retries) + ")"});
  table.add_row({"created_at", format_when(t.created_at)});
  table.add_row({"updated_at", format_when(t.updated_at)});
  if (t.schedule.eta) table.add_row({"eta", format_when(t.schedule.eta)});
  if (t.queue != "default") table.add_row({"queue", t.queue});
  if (t.priority != 0) table.add_row({"priority", std::to_string(t.priority)});
  if (t.unique_key) table.add_row({"unique_key", *t.unique_key});
  if (t.schedule.interval) table.add_row({"interval", format_age(*t.schedule.interval)});
  if (t.schedule.cron) {
    table.add_row({"cron", *t.schedule.cron + " (" + t.schedule.timezone.value_or("UTC") + ")"});
  }
  if (t.schedule.repeats() && !is_terminal(t.status) && t.schedule.eta) {
    table.add_row({"next run", format_when(t.schedule.eta)});
  }
  if (t.retry_of) table.add_row({"retry_of", *t.retry_of});
  table.add_row({"timeout", t.timeout ? format_age(*t.timeout) : "none"});
  if (t.last_attempt_at) table.add_row({"last_attempt_at", format_when(t.last_attempt_at)});
  if (t.lease_expires_at) table.add_row({"lease_expires_at", format_when(t.lease_expires_at)});
  if (t.error) table.add_row({"error", error_line(*t.error)});
  table.print(std::cout);
}

void print_result(const TaskResult& r) {
  Table table;
  table.add_row({"task_id", r.task_id});
  table.add_row({"status", std::string(to_string(r.status))});
  if (r.result) table.add_row({"result", compact_json(*r.result, 2000)});
  table.add_row({"attempts", std::to_string(r.attempts)});
  table.add_row({"finished_at", format_when(r.finished_at)});
  if (r.error) {
    table.add_row({"error_type", r.error->error_type});
    table.add_row({"message", r.error->message});
    table.add_row({"retry_count", std::to_string(r.error->retry_count)});
    table.add_row({"is_retryable", r.error->is_retryable ? "true" : "false"});
  }
  table.print(std::cout);
}

void run_status(const std::string& id, const GlobalOptions& global) {
  checked_id(id);
  Settings settings = global.settings();
  auto queue = open_queue(settings);
  std::optional<Task> task = queue->oq.get_task(id);
  if (!task) throw_no_task(id, settings);
  if (global.json) {
    print_json(std::cout, to_value(*task));
  } else {
    print_task(*task);
  }
}

struct ResultArgs {
  std::string id;
  bool wait = false;
  std::optional<std::string> timeout;
};

void run_result(const ResultArgs& a, const GlobalOptions& global) {
  checked_id(a.id);
  ResultOptions options{.wait = a.wait, .timeout = std::nullopt};
  if (a.timeout) {
    if (!a.wait)
      throw UsageError("--timeout applies to --wait: give both, e.g. --wait --timeout 30s");
    options.timeout = parse_duration_arg("--timeout", *a.timeout);
  }
  Settings settings = global.settings();
  auto queue = open_queue(settings);
  std::optional<Task> task = queue->oq.get_task(a.id);
  if (!task) throw_no_task(a.id, settings);
  std::optional<TaskResult> result;
  try {
    result = queue->oq.get_result(a.id, options);
  } catch (const TimeoutError&) {
    task = queue->oq.get_task(a.id);
    throw CommandFailed("task " + a.id + " has no result after waiting " +
                        format_age(*options.timeout) + " (status " +
                        std::string(task ? to_string(task->status) : "unknown") + ")");
  }
  if (!result) {
    throw CommandFailed("task " + a.id + " has no result yet (status " +
                        std::string(to_string(task->status)) + "); use --wait to wait for it");
  }
  if (global.json) {
    print_json(std::cout, to_value(*result));
  } else {
    print_result(*result);
  }
}

struct ListArgs {
  std::optional<std::string> status;
  std::optional<std::string> func;
  std::optional<std::string> queue;
  std::string limit = "100";
};

void run_list(const ListArgs& a, const GlobalOptions& global) {
  TaskFilter filter;
  if (a.status) filter.status = parse_status_arg(*a.status);
  if (a.func) filter.func_path = *a.func;
  filter.queue = a.queue;
  filter.limit = static_cast<std::size_t>(parse_int_arg("--limit", a.limit, 1, 1000000));
  auto queue = open_queue(global.settings());
  std::vector<Task> tasks = queue->oq.list_tasks(filter);
  if (global.json) {
    Value out = Value::array();
    for (const Task& t : tasks) out.push_back(to_value(t));
    print_json(std::cout, out);
    return;
  }
  if (tasks.empty()) {
    std::cout << "no tasks" << (a.status ? " with status " + *a.status : std::string()) << "\n";
    return;
  }
  Table table({"ID", "FUNC", "QUEUE", "STATUS", "ATTEMPTS", "CREATED", "ETA", "ARGS"});
  for (const Task& t : tasks) {
    table.add_row({t.id, t.func_path, t.queue, std::string(to_string(t.status)),
                   std::to_string(t.attempts), format_when(t.created_at),
                   format_when(t.schedule.eta), compact_json(t.args, 40)});
  }
  table.print(std::cout);
}

}  // namespace

void add_query_commands(CLI::App& app, GlobalOptions& global) {
  auto id = std::make_shared<std::string>();
  CLI::App* status = app.add_subcommand("status", "Show a task: status, attempts, schedule, error");
  status->add_option("ID", *id, "the task id printed by omniq enqueue")->type_name("")->required();
  status->callback([id, &global] { run_status(*id, global); });

  auto r = std::make_shared<ResultArgs>();
  CLI::App* result = app.add_subcommand("result", "Show a task's result (or its failure)");
  result->add_option("ID", r->id, "the task id printed by omniq enqueue")
      ->type_name("")
      ->required();
  result->add_flag("--wait", r->wait, "wait until the task has a result");
  result->add_option("--timeout", r->timeout, "with --wait: give up after this long, e.g. 30s")
      ->type_name("DURATION");
  result->footer("Exit code 1 when there is no result (yet, or within --timeout).");
  result->callback([r, &global] { run_result(*r, global); });

  auto l = std::make_shared<ListArgs>();
  CLI::App* list = app.add_subcommand("list", "List tasks, oldest first");
  list->add_option("--status", l->status,
                   "only this status: pending, running, success, failed, retrying, cancelled")
      ->type_name("STATUS");
  list->add_option("--func", l->func, "only tasks with this name")->type_name("NAME");
  list->add_option("--queue", l->queue, "only tasks of this queue")->type_name("NAME");
  list->add_option("--limit", l->limit, "at most this many")->type_name("N")->capture_default_str();
  list->callback([l, &global] { run_list(*l, global); });

  add_admin_commands(app, global);
}

}  // namespace omniq::cli
