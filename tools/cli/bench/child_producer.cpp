#include "child_producer.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

namespace omniq::cli::bench {

ChildProducer::ChildProducer(std::function<void()> body) {
  int fds[2];
  if (::pipe(fds) != 0) {
    throw std::runtime_error(std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  std::fflush(nullptr);  // nothing buffered is written twice
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error(std::string("cannot fork a producer: ") + std::strerror(errno));
  }
  if (pid_ == 0) {
    ::close(fds[1]);
    char c = 0;
    ssize_t got;
    do {
      got = ::read(fds[0], &c, 1);
    } while (got < 0 && errno == EINTR);
    if (got != 1) ::_exit(1);  // the parent went away (or gave up) before go()
    int code = 0;
    try {
      body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "omniq bench: producer process failed: %s\n", e.what());
      code = 1;
    }
    std::fflush(nullptr);
    ::_exit(code);
  }
  ::close(fds[0]);
  go_fd_ = fds[1];
}

ChildProducer::~ChildProducer() {
  if (go_fd_ >= 0) ::close(go_fd_);  // a child still waiting reads EOF and exits
  go_fd_ = -1;
  wait();
}

void ChildProducer::go() {
  char c = 'g';
  if (go_fd_ < 0 || ::write(go_fd_, &c, 1) != 1) {
    throw std::runtime_error("cannot start the producer process");
  }
  ::close(go_fd_);
  go_fd_ = -1;
}

bool ChildProducer::wait() {
  if (reaped_ || pid_ <= 0) return ok_;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  reaped_ = true;
  ok_ = r == pid_ && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return ok_;
}

}  // namespace omniq::cli::bench
