// omniq enqueue NAME [ARGS_JSON] [--kwargs JSON] [--eta ISO | --delay D]
//                    [--interval D | --cron EXPR [--tz ZONE]] [--max-retries N] [--timeout D]
//                    [--queue Q] [--priority P] [--unique-key K [--unique-for D]]
#include <iostream>
#include <memory>

#include "arguments.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace omniq::cli {

namespace {

struct EnqueueArgs {
  std::string name;
  std::optional<std::string> args;
  std::optional<std::string> kwargs;
  std::optional<std::string> eta;
  std::optional<std::string> delay;
  std::optional<std::string> interval;
  std::optional<std::string> max_retries;
  std::optional<std::string> timeout;
  std::optional<std::string> cron, tz, queue, priority, unique_key, unique_for;
};

TaskOptions task_options(const EnqueueArgs& a) {
  TaskOptions o;
  if (a.kwargs) {
    o.kwargs = parse_json_arg("--kwargs", *a.kwargs);
    if (!o.kwargs.is_object()) {
      throw UsageError("--kwargs must be a JSON object such as '{\"shell\": true}', not " +
                       compact_json(o.kwargs));
    }
  }
  if (a.eta && a.delay) {
    throw UsageError("--eta and --delay both say when to run: give one of them");
  }
  if (a.eta) o.eta = parse_time_arg("--eta", *a.eta);
  if (a.delay) o.delay = parse_duration_arg("--delay", *a.delay);
  if (a.interval) {
    o.interval = parse_duration_arg("--interval", *a.interval);
    if (o.interval->count() <= 0) throw UsageError("--interval must be more than 0, e.g. 1m");
  }
  if (a.cron && a.interval) throw UsageError("--cron and --interval both repeat a task: give one");
  if (a.tz && !a.cron) throw UsageError("--tz is the time zone of --cron: give --cron too");
  o.cron = a.cron;
  o.timezone = a.tz;
  if (a.queue) o.queue = *a.queue;
  if (a.priority) {
    o.priority = parse_int_arg("--priority", *a.priority, -1000000, 1000000);
  }
  if (a.unique_for && !a.unique_key) {
    throw UsageError("--unique-for is the period of --unique-key: give --unique-key too");
  }
  o.unique_key = a.unique_key;
  if (a.unique_for) o.unique_period = parse_duration_arg("--unique-for", *a.unique_for);
  if (a.max_retries) o.max_retries = parse_int_arg("--max-retries", *a.max_retries, 0, 1000);
  if (a.timeout) {
    o.timeout = parse_duration_arg("--timeout", *a.timeout);
    if (o.timeout->count() <= 0) throw UsageError("--timeout must be more than 0, e.g. 30s");
  }
  return o;
}

void run_enqueue(const EnqueueArgs& a, const GlobalOptions& global) {
  Value args = Value::array();
  if (a.args) {
    args = parse_json_arg("ARGS_JSON", *a.args);
    if (!args.is_array()) {
      throw UsageError(
          "ARGS_JSON must be a JSON array of positional arguments such as '[2, 3]' "
          "or '[\"text\"]', not " +
          compact_json(args));
    }
  }
  TaskOptions options = task_options(a);
  Settings settings = global.settings();
  auto queue = open_queue(settings);
  Enqueued e = queue->oq.submit(a.name, std::move(args), std::move(options));
  if (settings.backend == Backend::memory) {
    std::cerr << "omniq: note: the memory store lives only as long as this process; the task is "
                 "gone when it exits (use --backend sqlite or file to keep it)\n";
  }
  if (global.json) {
    print_json(std::cout, Value{{"id", e.id}, {"created", e.created}});
  } else if (e.created) {
    std::cout << e.id << "\n";
  } else {
    std::cout << e.id << "\n";
    std::cerr << "omniq: a task with unique key \"" << *a.unique_key
              << "\" is already waiting or running: nothing was added; its id is above\n";
  }
}

}  // namespace

void add_enqueue_command(CLI::App& app, GlobalOptions& global) {
  auto a = std::make_shared<EnqueueArgs>();
  CLI::App* cmd = app.add_subcommand("enqueue", "Add a task to the queue and print its id");
  cmd->add_option("NAME", a->name, "the task's name (its handler), e.g. echo, shell, sleep")
      ->type_name("")
      ->required();
  cmd->add_option("ARGS_JSON", a->args, "positional arguments as a JSON array, e.g. '[2, 3]'")
      ->type_name("JSON");
  cmd->add_option("--kwargs", a->kwargs, "keyword arguments as a JSON object")->type_name("JSON");
  cmd->add_option("--eta", a->eta, "run at this ISO-8601 instant, e.g. 2030-01-02T03:04:05Z")
      ->type_name("ISO");
  cmd->add_option("--delay", a->delay, "run after this duration, e.g. 10s")->type_name("DURATION");
  cmd->add_option("--interval", a->interval, "run again this long after each success, e.g. 1m")
      ->type_name("DURATION");
  cmd->add_option("--cron", a->cron,
                  "run on this schedule, e.g. \"*/5 * * * *\" or @daily (re-armed after each run)")
      ->type_name("EXPR");
  cmd->add_option("--tz", a->tz, "time zone of --cron, e.g. Europe/Berlin (default UTC)")
      ->type_name("ZONE");
  cmd->add_option("--queue", a->queue, "the queue to put it in (default: default)")
      ->type_name("NAME");
  cmd->add_option("--priority", a->priority, "lower runs first (default 0)")->type_name("N");
  cmd->add_option("--unique-key", a->unique_key,
                  "add nothing while a task with this key waits or runs; print that task's id")
      ->type_name("KEY");
  cmd->add_option("--unique-for", a->unique_for,
                  "with --unique-key: the key holds for windows of this length, e.g. 1h")
      ->type_name("DURATION");
  cmd->add_option("--max-retries", a->max_retries,
                  "retries after a failed first attempt (default: OMNIQ_DEFAULT_MAX_RETRIES)")
      ->type_name("N");
  cmd->add_option("--timeout", a->timeout,
                  "time limit per attempt, e.g. 30s (default: OMNIQ_DEFAULT_TIMEOUT)")
      ->type_name("DURATION");
  cmd->footer(
      "Examples:\n"
      "  omniq enqueue echo '[\"hello\"]'\n"
      "  omniq enqueue shell '[\"ls\", \"-l\"]' --timeout 30s\n"
      "  omniq enqueue shell '[\"echo $HOME\"]' --kwargs '{\"shell\": true}'\n"
      "  omniq enqueue sleep '[5]' --delay 10s --max-retries 0\n"
      "  omniq enqueue echo '[\"report\"]' --queue reports --priority 5 \\\n"
      "      --unique-key nightly-report --cron \"0 3 * * *\" --tz Europe/Berlin");
  cmd->callback([a, &global] { run_enqueue(*a, global); });
}

}  // namespace omniq::cli
