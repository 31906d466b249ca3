// Two worker pools in two processes share one store: every task runs exactly once.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "base/task_rules.hpp"
#include "engine/engine_fixture.hpp"
#include "support/store_calls.hpp"

namespace omniq::testing {
namespace {

class MultiProcessPools : public ::testing::TestWithParam<BackendFactory> {};

// The child: a worker pool that appends each task id it runs to `log`, until
// the store has no task left to run. Never returns.
[[noreturn]] void run_child(const BackendFactory& backend, const std::filesystem::path& dir,
                            const std::string& log) {
  int status = 1;
  try {
    Settings settings;
    settings.log_level = LogLevel::error;
    OmniQ oq(backend.open(dir), settings);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    Registry r;
    r.add("record", [fd](TaskContext& ctx) {
      std::string line = ctx.id() + "\n";
      if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
        throw std::runtime_error("log write failed");
      }
    });
    WorkerOptions o = fast_options(4);
    WorkerPool pool = oq.worker(std::move(r), o);
    pool.start();
    bool done =
        eventually([&] { return oq.stats().count(TaskStatus::SUCCESS) == 1000; }, seconds(120));
    pool.stop();
    ::close(fd);
    status = done ? 0 : 2;
  } catch (...) {
    status = 3;
  }
  ::_exit(status);
}

TEST_P(MultiProcessPools, TwoProcessesShareOneStoreAndRunEachTaskExactlyOnce) {
  TempDir dir;
  std::set<std::string> ids;
  {
    auto store = GetParam().open(dir.path());
    std::vector<Task> tasks;
    for (int i = 0; i < 1000; ++i) {
      tasks.push_back(make_task("record", Value::array(), {}, Settings{}, kStart));
      ids.insert(tasks.back().id);
    }
    enqueue_many(*store, tasks);
    store->close();
  }
  std::vector<pid_t> children;
  for (int c = 0; c < 2; ++c) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) run_child(GetParam(), dir.path(), (dir / ("ran." + std::to_string(c))).string());
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  std::multiset<std::string> ran;
  std::size_t per_child[2] = {0, 0};
  for (int c = 0; c < 2; ++c) {
    std::ifstream in(dir / ("ran." + std::to_string(c)));
    for (std::string line; std::getline(in, line);) {
      ran.insert(line);
      ++per_child[c];
    }
  }
  EXPECT_EQ(ran.size(), 1000u) << "runs in total (more means a task ran twice)";
  EXPECT_EQ(std::set<std::string>(ran.begin(), ran.end()), ids);
  std::cout << "[ info ] " << GetParam().name << ": process 1 ran " << per_child[0]
            << ", process 2 ran " << per_child[1] << "\n";
}

INSTANTIATE_TEST_SUITE_P(Backends, MultiProcessPools, ::testing::ValuesIn(persistent_backends()),
                         backend_name);

}  // namespace
}  // namespace omniq::testing
