#include "cli_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace omniq::testing {

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> clean_environment() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "OMNIQ_", 6) != 0) env.emplace_back(*e);
  }
  env.emplace_back("OMNIQ_LOG_LEVEL=INFO");
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Spawns omniq with the given stdout/stderr descriptors (or files when fds are -1).
pid_t spawn(const std::vector<std::string>& args, const std::filesystem::path& cwd, int out_fd,
            int err_fd, const std::string& out_file = "", const std::string& err_file = "") {
  std::vector<std::string> argv{OMNIQ_CLI_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> env = clean_environment();
  auto argv_p = pointers(argv);
  auto env_p = pointers(env);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (out_fd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0].c_str(), &fa, nullptr, argv_p.data(), env_p.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error(std::string("cannot run omniq: ") + std::strerror(rc));
  return pid;
}

int decode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

nlohmann::json CliResult::json() const {
  try {
    return nlohmann::json::parse(out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "stdout is not JSON (" << e.what() << "):\n" << out << "\nstderr:\n" << err;
    return nullptr;
  }
}

CliResult run_omniq(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                    std::chrono::seconds timeout) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe");
  auto start = Clock::now();
  pid_t pid = spawn(args, cwd, out[1], err[1]);
  ::close(out[1]);
  ::close(err[1]);
  CliResult r;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  bool killed = false;
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (!killed && Clock::now() - start > timeout) {
      ::kill(pid, SIGKILL);
      killed = true;
      ADD_FAILURE() << "omniq did not finish within " << timeout.count() << "s; killed";
    }
    if (::poll(fds, 2, 100) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      char buf[8192];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = decode(status);
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

CliProcess::CliProcess(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                       const std::string& log_name)
    : out_(cwd / (log_name + ".out")), err_(cwd / (log_name + ".err")) {
  pid_ = spawn(args, cwd, -1, -1, out_.string(), err_.string());
}

CliProcess::~CliProcess() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void CliProcess::signal(int sig) const {
  ::kill(pid_, sig);
}

std::optional<int> CliProcess::wait(std::chrono::seconds timeout) {
  auto until = Clock::now() + timeout;
  while (!reaped_) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      return decode(status);
    }
    if (Clock::now() >= until) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

std::optional<int> CliProcess::stop(std::chrono::seconds timeout) {
  signal(SIGTERM);
  return wait(timeout);
}

std::string CliProcess::output() const {
  return "--- stdout ---\n" + read_file(out_) + "--- stderr ---\n" + read_file(err_);
}

std::string CliProcess::stdout_text() const {
  return read_file(out_);
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto until = Clock::now() + timeout;
  while (Clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

bool process_gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() || text[paren + 2] == 'Z' ||
         text[paren + 2] == 'X';
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace omniq::testing
