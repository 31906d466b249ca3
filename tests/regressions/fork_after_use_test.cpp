// A process forked after its parent used OmniQ and a WorkerPool can use them
// itself. The blocking façade once waited for its coroutines through
// asio::use_future, whose completion went through asio's process-wide
// system_context: a child forked after the parent had created it inherited
// the context without its threads, and its first blocking call waited for
// ever (seen as a hang of the two-process pool test under AddressSanitizer,
// after other tests had run).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/system_context.hpp>
#include <asio/system_executor.hpp>
#include <asio/use_future.hpp>

#include "omniq/omniq.hpp"
#include "support/backends.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {
namespace {

using namespace std::chrono;

class ForkAfterUse : public ::testing::TestWithParam<BackendFactory> {};

// The child opens the store again (a persistent one is the parent's; a
// memory store is the child's own).
TEST_P(ForkAfterUse, ChildOfAProcessThatUsedOmniQAndAWorkerPoolCanUseThemToo) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "ThreadSanitizer refuses threads in the child of a multi-threaded process, "
                  "which this test forks on purpose";
#endif
  TempDir dir;
  Settings settings;
  settings.log_level = LogLevel::error;
  WorkerOptions options;
  options.poll_interval = milliseconds(5);
  {  // the parent enqueues, and runs a task in a worker pool
    OmniQ parent(GetParam().open(dir.path()), settings);
    Registry registry;
    registry.add("job", [] {});
    WorkerPool pool = parent.worker(std::move(registry), options);
    pool.start();
    auto r = parent.get_result(parent.enqueue("job"), {.wait = true, .timeout = seconds(30)});
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->status, TaskStatus::SUCCESS);
    pool.stop();
    parent.enqueue("job");
    ASSERT_EQ(parent.stats().total(), 2u);
  }
  // What a test of the parent's own did with asio: co_spawn with use_future,
  // whose completion runs on asio's process-wide system context. Once per
  // process, and then that context's threads are stopped and joined: a
  // thread still freeing the completion's memory at the fork would hold the
  // allocator's lock (AddressSanitizer's, here) in the child for ever. The
  // context stays, without threads, as a child inherits it anyway.
  static const int used_system_context = [] {
    asio::io_context ctx;
    auto f = asio::co_spawn(
        ctx, []() -> asio::awaitable<int> { co_return 1; }, asio::use_future);
    ctx.run();
    int got = f.get();
    asio::system_context& system = asio::query(asio::system_executor(), asio::execution::context);
    system.stop();
    system.join();
    return got;
  }();
  ASSERT_EQ(used_system_context, 1);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int rc = 1;
    try {
      OmniQ child(GetParam().open(dir.path()), settings);
      Registry registry;
      registry.add("job", [] {});
      WorkerPool pool = child.worker(std::move(registry), options);
      pool.start();
      auto r = child.get_result(child.enqueue("job"), {.wait = true, .timeout = seconds(30)});
      pool.stop();
      rc = r && r->status == TaskStatus::SUCCESS ? 0 : 2;
    } catch (...) {
      rc = 3;
    }
    ::_exit(rc);
  }
  // A bound on the wait, so that a hang fails the test instead of the run.
  int status = 0;
  bool exited = false;
  for (auto end = steady_clock::now() + seconds(60); !exited && steady_clock::now() < end;) {
    exited = ::waitpid(pid, &status, WNOHANG) == pid;
    if (!exited) std::this_thread::sleep_for(milliseconds(10));
  }
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  ASSERT_TRUE(exited) << "the child's first blocking call never returned";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ForkAfterUse, ::testing::ValuesIn(all_backends()), backend_name);

}  // namespace
}  // namespace omniq::testing
