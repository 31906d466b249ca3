// Helpers shared by the file store's own tests (file_*_test.cpp).
#pragma once

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/log_events.hpp"
#include "base/task_rules.hpp"
#include "omniq/settings.hpp"
#include "storage/file/file_dir.hpp"
#include "storage/file/file_storage.hpp"
#include "support/store_calls.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {

namespace fs = std::filesystem;
using namespace std::chrono;

inline const Timestamp kF0 = sys_days{2026y / November / 26} + 6h;
inline constexpr Duration kFLease = seconds(30);

inline FileStorage::Options file_options(const fs::path& base,
                                         Durability durability = Durability::full) {
  return FileStorage::Options{base.string(), durability, nullptr};
}

// A valid PENDING task created at kF0 + offset.
inline Task file_task(std::string func = "job", Duration offset = {}) {
  return make_task(std::move(func), Value::array({1, "a"}), {}, Settings{}, kF0 + offset);
}

// n tasks created a microsecond apart (so in id order).
inline std::vector<Task> file_tasks(int n, const std::string& func = "job") {
  std::vector<Task> out;
  for (int i = 0; i < n; ++i) out.push_back(file_task(func, microseconds(i)));
  return out;
}

inline Outcome success_of(const Task& claimed, Value v, Timestamp at) {
  Outcome o;
  o.task_id = claimed.id;
  o.attempt = claimed.attempts;
  o.status = TaskStatus::SUCCESS;
  o.at = at;
  o.result = TaskResult{claimed.id, TaskStatus::SUCCESS, std::move(v),           std::nullopt,
                        at,         claimed.attempts,    claimed.last_attempt_at};
  return o;
}

// Claims one task due at `now`, or returns nullopt.
inline std::optional<Task> claim_one(Storage& s, Timestamp now) {
  auto got = claim(s, now, 1, kFLease);
  if (got.empty()) return std::nullopt;
  return got.front();
}

// The names of the entries of `dir`, sorted.
inline std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

inline unsigned mode_of(const fs::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

inline void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

inline std::string read_file(const fs::path& p) {
  std::string out(fs::file_size(p), '\0');
  std::ifstream in(p, std::ios::binary);
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  return out;
}

// Runs `body` in a forked child; returns its exit status (or 128 + signal).
// The child exits 98 when `body` throws.
inline int in_child(const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int code = 98;
    try {
      code = body();
    } catch (...) {
    }
    ::_exit(code);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

// Captures omniq's log lines while alive.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(256)) {
    set_log_sinks({sink_});
  }
  ~LogCapture() { set_log_sinks({std::make_shared<spdlog::sinks::stderr_color_sink_mt>()}); }
  std::string text() const {
    std::string all;
    for (const auto& line : sink_->last_formatted()) all += line;
    return all;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

}  // namespace omniq::testing
