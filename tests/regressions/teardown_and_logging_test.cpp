// Regressions of the public façades:
// - building a façade reset the global log level to INFO, even when
//   OMNIQ_LOG_LEVEL=DEBUG was set or the application chose its own level;
// - ~WorkerPool called stop(), which could rethrow: an exception from a
//   destructor terminates the program;
// - the queue called its listeners under its lock, so a listener that
//   unsubscribed itself deadlocked;
// - every abandoned (timed-out) plain handler added a thread, without bound.
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <string_view>

#include "engine/engine_fixture.hpp"
#include "storage/memory/memory_storage.hpp"

namespace omniq::testing {
namespace {

TEST(FacadeLogLevel, OnlyAChosenLevelChangesTheLogger) {
  set_log_level(LogLevel::debug);  // the application's choice
  { OmniQ oq(std::make_shared<MemoryStorage>(), Settings{}); }
  { AsyncOmniQ aoq(std::make_shared<MemoryStorage>(), Settings{}); }
  EXPECT_EQ(log_level(), LogLevel::debug);
  Settings chosen;
  chosen.log_level = LogLevel::warning;  // what OMNIQ_LOG_LEVEL=WARNING gives
  { OmniQ oq(std::make_shared<MemoryStorage>(), chosen); }
  EXPECT_EQ(log_level(), LogLevel::warning);
  auto env = Settings::from_env([](std::string_view name) -> std::optional<std::string> {
    if (name == "OMNIQ_LOG_LEVEL") return "DEBUG";
    return std::nullopt;
  });
  { OmniQ oq(std::make_shared<MemoryStorage>(), env); }
  EXPECT_EQ(log_level(), LogLevel::debug);
  set_log_level(LogLevel::info);
}

TEST(WorkerPoolTeardown, DestroyingAPoolWhoseStoreFailsDoesNotThrow) {
  auto store = std::make_shared<MemoryStorage>();
  OmniQ oq(store, Settings{});
  Registry r;
  r.add("job", [] { return 1; });
  {
    WorkerPool pool = oq.worker(std::move(r), fast_options(2));
    pool.start();
    oq.enqueue("job");
    store->close();  // every later call fails with StorageError, and is logged
  }                  // ~WorkerPool: stops; must neither throw nor hang
  SUCCEED();
}

TEST(QueueListeners, AListenerMayUnsubscribeItselfWhileBeingCalled) {
  auto store = std::make_shared<MemoryStorage>();
  detail::TaskQueue queue(store, Settings{}, system_clock());
  std::atomic<int> calls{0};
  std::size_t id = 0;
  id = queue.listen([&](detail::TaskQueue::Event, const std::string&) {
    ++calls;
    queue.unlisten(id);  // deadlocked when listeners ran under the queue's lock
  });
  queue.enqueue({queue.make_task("job", Value::array(), {})});
  queue.enqueue({queue.make_task("job", Value::array(), {})});
  EXPECT_EQ(calls.load(), 1);
}

TEST(AbandonedThreads, AreCappedAndTheCapIsLogged) {
  // The ring buffer reads under the sink's lock: the pool logs from its own threads.
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  set_log_sinks({sink});
  auto logged = [&](std::string_view needle) {
    for (const std::string& line : sink->last_formatted()) {
      if (line.find(needle) != std::string::npos) return true;
    }
    return false;
  };
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> stuck{0};
  Settings settings;
  settings.default_max_retries = 0;
  OmniQ oq(std::make_shared<MemoryStorage>(), settings);
  Registry r;
  r.add("stuck", [&] {  // ignores its stop token
    ++stuck;
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
    return 1;
  });
  r.add("quick", [] { return 2; });
  WorkerOptions o = fast_options(1);
  o.timeout_grace = milliseconds(20);
  o.max_abandoned_threads = 1;
  {
    WorkerPool pool = oq.worker(std::move(r), o);
    pool.start();
    TaskOptions t{.timeout = milliseconds(20)};
    // The first stuck thread is replaced; the second reaches the cap.
    for (int i = 0; i < 2; ++i) {
      std::string id = oq.enqueue("stuck", Value::array(), t);
      auto res = oq.get_result(id, {.wait = true, .timeout = seconds(20)});
      EXPECT_EQ(res->error->error_type, "TimeoutError");
    }
    EXPECT_EQ(stuck.load(), 2);
    std::string quick = oq.enqueue("quick");
    EXPECT_TRUE(eventually([&] { return logged("max_abandoned_threads"); }));
    EXPECT_FALSE(oq.get_result(quick).has_value());  // no thread left to run it...
    {
      std::lock_guard lock(mu);
      release = true;
    }
    cv.notify_all();
    // ...until a stuck thread returns and takes its place again.
    EXPECT_EQ(oq.get_result(quick, {.wait = true, .timeout = seconds(20)})->value<int>(), 2);
  }
  set_log_sinks({});
}

}  // namespace
}  // namespace omniq::testing
