// Running a child process without a shell, capturing the tail of its output,
// and stopping it (with everything it started) when asked.
//
// The child runs in a process group of its own, with stdin from /dev/null,
// default signal dispositions and an empty signal mask. When the stop token
// fires, the whole group gets SIGTERM, then SIGKILL after `kill_grace`. When
// the child exits, what is left of its group is killed once the output pipes
// have stayed open for `kill_grace` more, so no process outlives the task.
#pragma once

#include <chrono>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <sys/types.h>

namespace omniq::cli {

struct ProcessOptions {
  std::vector<std::string> argv;     // argv[0] is looked up in PATH
  std::optional<std::string> cwd{};  // working directory of the child
  std::size_t tail_bytes = 4096;     // how much of the end of stdout/stderr to keep
  std::chrono::milliseconds kill_grace{500};
};

struct ProcessOutcome {
  pid_t pid = -1;
  int exit_code = -1;    // when the child exited normally
  int term_signal = 0;   // when a signal ended it
  bool stopped = false;  // the stop token fired and the group was killed
  std::string stdout_tail;
  std::string stderr_tail;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
};

// Thrown when the child cannot be started at all (e.g. no such program).
class SpawnError : public std::runtime_error {
 public:
  SpawnError(const std::string& what, int error) : std::runtime_error(what), error_(error) {}
  int error() const { return error_; }

 private:
  int error_;
};

// Runs the child to its end (or until `stop` fires and the group is killed).
// REQUIRES: !options.argv.empty(). Throws SpawnError, std::system_error.
ProcessOutcome run_process(const ProcessOptions& options, const std::stop_token& stop);

}  // namespace omniq::cli
