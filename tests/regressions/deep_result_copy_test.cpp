// Regression (found by AddressSanitizer running tests/security/payload_test.cpp):
// an attempt kept a copy of its result besides handing it over, and copying a
// Value recurses once per level, so a handler returning a value nested deeply
// enough (100,000 levels under ASan, a million without) overflowed the
// worker thread's stack and killed the worker. The result is now moved, never
// copied, and the task fails with a SerializationError.
#include <gtest/gtest.h>

#include "omniq/async.hpp"
#include "storage/memory/memory_storage.hpp"
#include "support/values.hpp"

namespace omniq::testing {
namespace {

using namespace std::chrono;

TEST(DeepResultCopy, HandlersReturningAMillionLevelsFailTheirTaskAndTheWorkerGoesOn) {
  Settings settings;
  settings.log_level = LogLevel::error;
  OmniQ oq(std::make_shared<MemoryStorage>(), settings);
  Registry registry;
  registry.add("sync", [] { return nested_arrays(1000000); });
  registry.add("async", []() -> asio::awaitable<Value> { co_return nested_arrays(1000000); });
  registry.add("fine", [] { return 7; });
  WorkerOptions o;
  o.poll_interval = milliseconds(5);
  WorkerPool pool = oq.worker(registry, o);
  pool.start();
  for (const char* name : {"sync", "async"}) {
    std::string id = oq.enqueue(name);
    auto r = oq.get_result(id, {.wait = true, .timeout = seconds(60)});
    ASSERT_TRUE(r.has_value()) << name;
    EXPECT_EQ(r->status, TaskStatus::FAILED) << name;
    ASSERT_TRUE(r->error.has_value()) << name;
    EXPECT_EQ(r->error->error_type, "SerializationError") << name;
  }
  std::string fine = oq.enqueue("fine");
  EXPECT_EQ(oq.get_result(fine, {.wait = true, .timeout = seconds(30)})->value<int>(), 7);
  pool.stop();
}

}  // namespace
}  // namespace omniq::testing
