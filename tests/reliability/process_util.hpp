// Helpers of the fault tests: starting, signalling and reaping worker
// processes (the omniq_reliability_worker program), reading the side file
// their handlers append to, a process's resident memory, and the soak switch.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/processes.hpp"

namespace omniq::reliability {

// OMNIQ_SOAK=1 selects the long runs; `make test` runs the short ones.
inline bool soak() {
  const char* v = std::getenv("OMNIQ_SOAK");
  return v != nullptr && std::string(v) == "1";
}

// Waits (really) until pred() holds, up to `limit`; returns whether it did.
// `every` paces the checks when pred() is costly.
inline bool wait_until(const std::function<bool()>& pred,
                       std::chrono::milliseconds limit = std::chrono::seconds(60),
                       std::chrono::milliseconds every = std::chrono::milliseconds(5)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(every);
  }
  return pred();
}

// A child process running the worker program, its stdout and stderr appended
// to `log`. The destructor SIGKILLs and reaps it if it still runs.
class Process {
 public:
  Process(const std::vector<std::string>& args, const std::filesystem::path& log)
      : pid_(testing::spawn_logged(args, log.string())) {}
  ~Process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) const { ::kill(pid_, sig); }
  // Reaps the process: its exit code, or minus the signal that ended it.
  int wait() {
    pid_t pid = pid_;
    pid_ = -1;
    return testing::wait_for(pid);
  }

 private:
  pid_t pid_ = -1;
};

// How many times each id appears in the side file (one id per line).
inline std::map<std::string, int> side_counts(const std::filesystem::path& side) {
  std::map<std::string, int> out;
  std::ifstream in(side);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) ++out[line];
  }
  return out;
}

inline std::size_t line_count(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

// The resident set size of a process in KiB (VmRSS), or 0 if it is gone.
inline long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

// The last `n` lines of a log file, for failure messages.
inline std::string tail(const std::filesystem::path& file, std::size_t n = 30) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::ostringstream out;
  for (std::size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) {
    out << lines[i] << "\n";
  }
  return out.str();
}

}  // namespace omniq::reliability
