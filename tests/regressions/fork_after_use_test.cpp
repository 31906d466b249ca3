// A process forked after its parent used OmniQ can use OmniQ itself. The
// blocking façade once waited for its coroutines through asio::use_future,
// whose completion went through asio's process-wide system_context: a child
// forked after the parent had created it inherited the context without its
// threads, and its first blocking call waited for ever (seen as a hang of the
// two-process pool test under AddressSanitizer, after other tests had run).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include "omniq/omniq.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {
namespace {

using namespace std::chrono;

TEST(ForkAfterUse, ChildOfAProcessThatUsedOmniQCanUseItToo) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "ThreadSanitizer refuses threads in the child of a multi-threaded process, "
                  "which this test forks on purpose";
#endif
  TempDir dir;
  Settings settings;
  settings.log_level = LogLevel::error;
  settings.database_url = (dir / "q.db").string();
  {
    OmniQ parent(settings);
    parent.enqueue("job");
    ASSERT_EQ(parent.stats().total(), 1u);
  }
  {  // what a test of the parent's own did with asio: co_spawn with use_future
    asio::io_context ctx;
    auto f = asio::co_spawn(
        ctx, []() -> asio::awaitable<int> { co_return 1; }, asio::use_future);
    ctx.run();
    ASSERT_EQ(f.get(), 1);
  }
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int rc = 1;
    try {
      OmniQ child(settings);
      Registry registry;
      registry.add("job", [] {});
      WorkerPool pool = child.worker(std::move(registry), WorkerOptions{});
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

}  // namespace
}  // namespace omniq::testing
