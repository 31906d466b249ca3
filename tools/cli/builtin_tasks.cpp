#include "builtin_tasks.hpp"

#include <condition_variable>
#include <mutex>
#include <stdexcept>

namespace omniq::cli {

namespace {

void no_kwargs_except(const TaskContext& ctx, std::initializer_list<std::string_view> allowed,
                      std::string_view accepted) {
  for (const auto& [key, value] : ctx.kwargs().items()) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || key == a;
    if (!ok) {
      throw ArgumentError(ctx.func_path() + ": unknown keyword argument \"" + key +
                          "\"; accepted: " + std::string(accepted));
    }
  }
}

Value echo(TaskContext& ctx) {
  no_kwargs_except(ctx, {}, "none");
  return ctx.args();
}

Value sleep_task(TaskContext& ctx) {
  no_kwargs_except(ctx, {}, "none");
  const Value& args = ctx.args();
  double seconds = 1.0;
  if (args.size() > 1 || (args.size() == 1 && !args[0].is_number())) {
    throw ArgumentError("sleep expects [SECONDS] (a number >= 0), got " + args.dump());
  }
  if (args.size() == 1) seconds = args[0].get<double>();
  if (!(seconds >= 0 && seconds <= 86400.0 * 365)) {
    throw ArgumentError("sleep: SECONDS must be from 0 to one year, got " + args[0].dump());
  }
  auto start = std::chrono::steady_clock::now();
  auto until = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                           std::chrono::duration<double>(seconds));
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  std::stop_token stop = ctx.stop_token();
  bool stopped = cv.wait_until(lock, stop, until, [] { return false; }) || stop.stop_requested();
  double slept = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (stopped) {
    throw std::runtime_error("sleep stopped after " + std::to_string(slept) + "s of " +
                             std::to_string(seconds) + "s");
  }
  return seconds;
}

Value fail(TaskContext& ctx) {
  no_kwargs_except(ctx, {"permanent"}, "\"permanent\": true|false");
  const Value& args = ctx.args();
  bool bad = args.size() > 2 || (!args.empty() && !args[0].is_string()) ||
             (args.size() == 2 && (!args[1].is_number_integer() || args[1].get<long long>() < 0));
  if (bad) {
    throw ArgumentError("fail expects [MESSAGE] or [MESSAGE, COUNT] (COUNT an integer >= 0), got " +
                        args.dump());
  }
  const Value& permanent = ctx.kwargs().contains("permanent") ? ctx.kwargs()["permanent"] : Value();
  if (!permanent.is_null() && !permanent.is_boolean()) {
    throw ArgumentError("fail: \"permanent\" must be true or false, got " + permanent.dump());
  }
  std::string message = args.empty() ? "the fail task fails, as asked" : args[0].get<std::string>();
  if (args.size() == 2 && ctx.attempt() > args[1].get<long long>()) {
    return Value{{"attempt", ctx.attempt()}};
  }
  if (permanent.is_boolean() && permanent.get<bool>()) throw PermanentError(message);
  throw std::runtime_error(message);
}

}  // namespace

void register_builtin_tasks(Registry& registry) {
  registry.add("echo", echo);
  registry.add("sleep", sleep_task);
  registry.add("fail", fail);
  registry.add("shell", run_shell_task);
}

}  // namespace omniq::cli
