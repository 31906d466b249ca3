// Regression (found by tests/security/payload_test.cpp): validate_task
// accepted arguments nesting kMaxDepth levels, but a task file holds them one
// level down, so the file store refused such a task with a SerializationError
// on enqueue while the other stores took it. Arguments now nest at most
// kMaxValueDepth = kMaxDepth - 1 levels, and every backend stores whatever
// validate_task accepts.
#include <gtest/gtest.h>

#include "base/task_rules.hpp"
#include "omniq/omniq.hpp"
#include "support/backends.hpp"
#include "support/store_calls.hpp"
#include "support/temp_dir.hpp"
#include "support/values.hpp"

namespace omniq::testing {
namespace {

using namespace std::chrono;

// The deepest arguments validate_task accepts.
int deepest_accepted_args() {
  Task t = make_task("job", Value::array(), {}, Settings{}, system_clock()->now());
  int depth = 1;
  for (;;) {
    t.args = nested_arrays(depth + 1);
    try {
      validate_task(t);
    } catch (const ValidationError&) {
      return depth;
    }
    ++depth;
  }
}

class NestingLimit : public ::testing::TestWithParam<BackendFactory> {
 protected:
  TempDir dir_;
};

TEST_P(NestingLimit, EveryBackendStoresTheDeepestArgumentsValidationAccepts) {
  const int depth = deepest_accepted_args();
  EXPECT_EQ(depth, kMaxValueDepth);
  auto store = GetParam().open(dir_.path());
  Task t = make_task("job", nested_arrays(depth), {}, Settings{}, system_clock()->now());
  EXPECT_NO_THROW(enqueue(*store, t));
  ASSERT_TRUE(store->get_task(t.id).has_value());
  EXPECT_EQ(store->get_task(t.id)->args, nested_arrays(depth));
  store->close();
}

INSTANTIATE_TEST_SUITE_P(Backends, NestingLimit, ::testing::ValuesIn(all_backends()), backend_name);

}  // namespace
}  // namespace omniq::testing
