// omniq enqueue NAME [ARGS_JSON] [--kwargs JSON] [--eta ISO | --delay D]
//                    [--interval D] [--max-retries N] [--timeout D]
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
  std::string id = queue->oq.enqueue(a.name, std::move(args), std::move(options));
  if (settings.backend == Backend::memory) {
    std::cerr << "omniq: note: the memory store lives only as long as this process; the task is "
                 "gone when it exits (use --backend sqlite or file to keep it)\n";
  }
  if (global.json) {
    print_json(std::cout, Value{{"id", id}});
  } else {
    std::cout << id << "\n";
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
      "  omniq enqueue sleep '[5]' --delay 10s --max-retries 0");
  cmd->callback([a, &global] { run_enqueue(*a, global); });
}

}  // namespace omniq::cli
