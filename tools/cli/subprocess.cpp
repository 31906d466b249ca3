#include "subprocess.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace omniq::cli {

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// A file descriptor closed on destruction.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// Keeps the last `limit` bytes appended to it.
struct Tail {
  std::size_t limit;
  std::string text;
  bool truncated = false;
  void append(const char* data, std::size_t n) {
    text.append(data, n);
    if (text.size() > 2 * limit + 4096) trim();
  }
  void trim() {
    if (text.size() <= limit) return;
    text.erase(0, text.size() - limit);
    truncated = true;
  }
};

// RAII for the spawn attributes and file actions.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

pid_t spawn(const ProcessOptions& o, int out_fd, int err_fd) {
  SpawnSetup s;
  // Own process group, so the whole group can be killed; default signals and
  // an empty mask, whatever the worker blocks or ignores.
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setflags(&s.attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&s.attr, 0);
  posix_spawnattr_setsigmask(&s.attr, &empty);
  posix_spawnattr_setsigdefault(&s.attr, &defaults);
  posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&s.actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&s.actions, err_fd, 2);
  if (o.cwd) posix_spawn_file_actions_addchdir_np(&s.actions, o.cwd->c_str());

  std::vector<char*> argv;
  for (const std::string& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &s.actions, &s.attr, argv.data(), environ);
  if (rc != 0) {
    std::string what = "cannot run \"" + o.argv[0] + "\"";
    if (o.cwd) what += " in " + *o.cwd;
    throw SpawnError(what + ": " + std::strerror(rc), rc);
  }
  return pid;
}

// Reads what is available on fd into tail; closes fd at end of file.
void drain(Fd& fd, Tail& tail) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      tail.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    fd.reset();  // end of file (or an error: nothing more will come)
    return;
  }
}

}  // namespace

ProcessOutcome run_process(const ProcessOptions& o, const std::stop_token& stop) {
  if (o.argv.empty()) throw std::invalid_argument("run_process: empty argv");
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw_errno("pipe2");
  Fd out_r(out[0]), out_w(out[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) throw_errno("pipe2");
  Fd err_r(err[0]), err_w(err[1]);
  Fd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.open()) throw_errno("eventfd");
  for (int fd : {out_r.get(), err_r.get()}) ::fcntl(fd, F_SETFL, O_NONBLOCK);

  ProcessOutcome r;
  r.pid = spawn(o, out_w.get(), err_w.get());
  out_w.reset();
  err_w.reset();
  std::stop_callback on_stop(stop, [fd = wake.get()] {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(fd, &one, sizeof one);
  });

  Tail out_tail{o.tail_bytes, {}}, err_tail{o.tail_bytes, {}};
  bool exited = false, term_sent = false, kill_sent = false;
  int status = 0;
  Clock::time_point kill_at{}, exited_at{};
  for (;;) {
    if (!exited && ::waitpid(r.pid, &status, WNOHANG) == r.pid) {
      exited = true;
      exited_at = Clock::now();
    }
    bool pipes_open = out_r.open() || err_r.open();
    if (exited && !pipes_open) break;
    if (stop.stop_requested() && !term_sent) {
      r.stopped = true;
      term_sent = true;
      ::kill(-r.pid, SIGTERM);
      kill_at = Clock::now() + o.kill_grace;
    }
    // Left-overs of the group holding the pipes once the child is gone, or a
    // group that ignored SIGTERM: kill them outright.
    bool overdue = (term_sent && Clock::now() >= kill_at) ||
                   (exited && Clock::now() >= exited_at + o.kill_grace);
    if (overdue && !kill_sent) {
      kill_sent = true;
      ::kill(-r.pid, SIGKILL);
      exited_at = Clock::now();  // give the pipes one more grace to close
    } else if (overdue && exited) {
      break;  // a process outside the group holds the pipes: stop reading
    }
    pollfd fds[3];
    nfds_t n = 0;
    fds[n++] = {wake.get(), POLLIN, 0};
    if (out_r.open()) fds[n++] = {out_r.get(), POLLIN, 0};
    if (err_r.open()) fds[n++] = {err_r.get(), POLLIN, 0};
    // Child exits are noticed by polling waitpid every 20ms.
    if (::poll(fds, n, 20) < 0 && errno != EINTR) throw_errno("poll");
    if (out_r.open()) drain(out_r, out_tail);
    if (err_r.open()) drain(err_r, err_tail);
    if (fds[0].revents & POLLIN) {
      std::uint64_t v;
      [[maybe_unused]] auto k = ::read(wake.get(), &v, sizeof v);
    }
  }
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.term_signal = WTERMSIG(status);
  out_tail.trim();
  err_tail.trim();
  r.stdout_tail = std::move(out_tail.text);
  r.stderr_tail = std::move(err_tail.text);
  r.stdout_truncated = out_tail.truncated;
  r.stderr_truncated = err_tail.truncated;
  return r;
}

}  // namespace omniq::cli
