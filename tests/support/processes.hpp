// Child processes for tests of stores shared by several processes: fork a
// body, wait for its exit, read what it reports through a pipe.
//
// Fork only while the test process runs no other thread; the child opens its
// own stores after the fork and leaves with _exit.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>

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

}  // namespace omniq::testing
