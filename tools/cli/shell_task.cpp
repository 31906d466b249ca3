// The built-in `shell` task: runs a program, by default WITHOUT a shell.
//
//   args    ["prog", "arg1", ...]   argv, looked up in PATH, no shell involved
//   kwargs  {"shell": true}         args are ["script", "$1", "$2", ...] for /bin/sh -c
//           {"cwd": "/some/dir"}    working directory
//
// The result is {"exit_code", "stdout", "stderr", "stdout_truncated",
// "stderr_truncated"} with the last 4 KiB of each stream. A non-zero exit (or
// death by a signal) fails the attempt with a ShellCommandFailed error whose
// message holds the exit code and the output tails. A program that cannot be
// started fails without retries. On timeout, cancellation or worker shutdown
// the child's whole process group is killed (SIGTERM, then SIGKILL).
#include <signal.h>
#include <string.h>

#include <stdexcept>

#include "builtin_tasks.hpp"
#include "output.hpp"
#include "subprocess.hpp"

namespace omniq::cli {

// The error type recorded for a command that exited with a non-zero code.
class ShellCommandFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace {

constexpr std::size_t kTailBytes = 4096;

ProcessOptions parse(const TaskContext& ctx) {
  ProcessOptions o;
  o.tail_bytes = kTailBytes;
  bool shell = false;
  for (const auto& [key, value] : ctx.kwargs().items()) {
    if (key == "shell" && value.is_boolean()) {
      shell = value.get<bool>();
    } else if (key == "cwd" && value.is_string()) {
      o.cwd = value.get<std::string>();
    } else {
      throw ArgumentError("shell: keyword argument \"" + key + "\" = " + compact_json(value) +
                          " is not accepted; accepted: \"shell\": true|false, \"cwd\": \"DIR\"");
    }
  }
  const Value& args = ctx.args();
  bool strings = !args.empty();
  for (const Value& a : args) strings = strings && a.is_string();
  if (!strings) {
    throw ArgumentError(
        shell ? "shell with {\"shell\": true} expects [\"SCRIPT\", ARG...] (strings), got " +
                    compact_json(args)
              : "shell expects argv as a non-empty JSON array of strings, e.g. [\"ls\", \"-l\"], "
                "got " +
                    compact_json(args));
  }
  if (shell) o.argv = {"/bin/sh", "-c", args[0].get<std::string>(), "sh"};
  for (std::size_t i = shell ? 1 : 0; i < args.size(); ++i) {
    o.argv.push_back(args[i].get<std::string>());
  }
  return o;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string describe(const ProcessOptions& o) {
  std::string s;
  for (const std::string& a : o.argv) s += (s.empty() ? "" : " ") + a;
  return compact_json(Value(valid_utf8(s)), 200);
}

}  // namespace

Value run_shell_task(TaskContext& ctx) {
  ProcessOptions options = parse(ctx);
  ProcessOutcome r;
  try {
    r = run_process(options, ctx.stop_token());
  } catch (const SpawnError& e) {
    throw PermanentError("shell: " + std::string(e.what()));
  }
  std::string out = valid_utf8(r.stdout_tail), err = valid_utf8(r.stderr_tail);
  if (r.stopped) {
    throw std::runtime_error("shell: " + describe(options) + " was stopped (process group " +
                             std::to_string(r.pid) + " killed)");
  }
  if (r.exit_code != 0) {
    std::string how = r.term_signal != 0 ? "was killed by signal " + std::to_string(r.term_signal) +
                                               " (" + ::strsignal(r.term_signal) + ")"
                                         : "exited with code " + std::to_string(r.exit_code);
    throw ShellCommandFailed("shell: " + describe(options) + " " + how +
                             "\n--- stderr (tail) ---\n" + trimmed(err) +
                             "\n--- stdout (tail) ---\n" + trimmed(out));
  }
  return Value{{"exit_code", r.exit_code},
               {"stdout", std::move(out)},
               {"stderr", std::move(err)},
               {"stdout_truncated", r.stdout_truncated},
               {"stderr_truncated", r.stderr_truncated}};
}

}  // namespace omniq::cli
