// Child processes for tests of stores shared by several processes: fork a
// body, or start a program with its output in a log; wait for its exit;
// read what it reports through a pipe; a child program's arguments.
//
// Fork only while the test process runs no other thread; the child opens its
// own stores after the fork and leaves with _exit.
#pragma once

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace omniq::testing {

// Runs `body` in a child process, which exits 0 when it returns and 1 when it
// throws. Returns the child's pid.
inline pid_t spawn(const std::function<void()>& body) {
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid > 0) return pid;
  int code = 0;
  try {
    body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "child %d: %s\n", static_cast<int>(::getpid()), e.what());
    code = 1;
  } catch (...) {
    code = 1;
  }
  ::_exit(code);
}

// Starts the program args[0] (a path, or looked up in PATH when
// `search_path`) with stdout and stderr appended to `log`. Returns its pid.
inline pid_t spawn_logged(const std::vector<std::string>& args, const std::string& log,
                          bool search_path = false) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  int rc = search_path ? ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ)
                       : ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + args.front());
  return pid;
}

// The child's exit code, or minus the signal that killed it.
inline int wait_for(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1000;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? -WTERMSIG(status) : -1000;
}

// Reads from `fd` until `n` bytes arrived (or the writer is gone).
inline std::string read_bytes(int fd, std::size_t n) {
  std::string out;
  char buf[256];
  while (out.size() < n) {
    ssize_t got = ::read(fd, buf, sizeof buf);
    if (got <= 0) break;
    out.append(buf, static_cast<std::size_t>(got));
  }
  return out;
}

// Blocks SIGTERM and SIGINT in the calling thread and returns them, for
// sigwait. Call it before any thread starts, so that every thread inherits
// the mask and none of them takes the signal instead.
inline sigset_t block_stop_signals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  return stop_signals;
}

// A child program's arguments, each --name=value. Throws
// std::invalid_argument on any other form.
inline std::map<std::string, std::string> parse_flag_args(int argc, char** argv) {
  std::map<std::string, std::string> out;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto eq = a.find('=');
    if (a.rfind("--", 0) != 0 || eq == std::string::npos) {
      throw std::invalid_argument("expected --name=value, got " + a);
    }
    out[a.substr(2, eq - 2)] = a.substr(eq + 1);
  }
  return out;
}

}  // namespace omniq::testing
