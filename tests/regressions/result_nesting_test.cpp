// Regression (found by tests/security/payload_test.cpp): a handler's result
// nested deeper than any store can hold was stored by the memory store (and
// copied recursively on every read) while the file store refused it. The
// queue now refuses a result deeper than kMaxValueDepth on every backend: the
// task fails with a SerializationError, and a result as deep as arguments
// may be is stored everywhere.
#include <gtest/gtest.h>

#include "base/task_rules.hpp"
#include "omniq/omniq.hpp"
#include "support/backends.hpp"
#include "support/temp_dir.hpp"
#include "support/values.hpp"

namespace omniq::testing {
namespace {

using namespace std::chrono;

class ResultNesting : public ::testing::TestWithParam<BackendFactory> {
 protected:
  TempDir dir_;
};

TEST_P(ResultNesting, ResultsAsDeepAsArgumentsAreStoredAndDeeperOnesFailTheTask) {
  const int depth = kMaxValueDepth;
  Settings settings;
  settings.log_level = LogLevel::error;
  OmniQ oq(GetParam().open(dir_.path()), settings);
  Registry registry;
  registry.add("same", [depth] { return nested_arrays(depth); });
  registry.add("deeper", [depth] { return nested_arrays(depth + 1); });
  WorkerOptions o;
  o.poll_interval = milliseconds(5);
  WorkerPool pool = oq.worker(registry, o);
  pool.start();
  std::string same = oq.enqueue("same");
  std::string deeper = oq.enqueue("deeper");
  auto ok = oq.get_result(same, {.wait = true, .timeout = seconds(30)});
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, TaskStatus::SUCCESS);
  EXPECT_EQ(ok->result, nested_arrays(depth));
  auto refused = oq.get_result(deeper, {.wait = true, .timeout = seconds(30)});
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, TaskStatus::FAILED);
  ASSERT_TRUE(refused->error.has_value());
  EXPECT_EQ(refused->error->error_type, "SerializationError");
  pool.stop();
}

INSTANTIATE_TEST_SUITE_P(Backends, ResultNesting, ::testing::ValuesIn(all_backends()),
                         backend_name);

}  // namespace
}  // namespace omniq::testing
