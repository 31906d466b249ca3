// Running the built `omniq` binary from tests: one-shot commands with their
// output captured, and long-running workers in the background.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace omniq::testing {

struct CliResult {
  int exit_code = -1;  // 128 + signal when a signal ended it
  std::string out;
  std::string err;
  double seconds = 0;  // wall time

  // stdout parsed as JSON; fails the test (and returns null) if it does not parse.
  nlohmann::json json() const;
};

// Runs `omniq ARGS...` in `cwd` (OMNIQ_* variables removed from the
// environment), killing it after `timeout`.
CliResult run_omniq(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                    std::chrono::seconds timeout = std::chrono::seconds(60));

// `omniq ARGS...` in the background, stdout and stderr going to files.
class CliProcess {
 public:
  CliProcess(const std::vector<std::string>& args, const std::filesystem::path& cwd,
             const std::string& log_name = "worker");
  ~CliProcess();  // SIGKILLs it if still running
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) const;
  // Waits for it to exit; returns its exit code, or nullopt after `timeout`.
  std::optional<int> wait(std::chrono::seconds timeout = std::chrono::seconds(60));
  // SIGTERM and wait.
  std::optional<int> stop(std::chrono::seconds timeout = std::chrono::seconds(60));
  std::string output() const;  // stdout and stderr so far
  std::string stdout_text() const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::filesystem::path out_, err_;
};

// Polls pred every 20ms until it holds or `timeout` passes; returns pred's last value.
bool wait_until(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(30));

// True when no process `pid` exists any more (a zombie counts as gone).
bool process_gone(pid_t pid);

std::string read_file(const std::filesystem::path& p);

}  // namespace omniq::testing
