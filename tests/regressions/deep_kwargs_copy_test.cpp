// Regression (found by AddressSanitizer running tests/security/payload_test.cpp):
// make_task copied TaskOptions::kwargs before validate_task looked at its
// depth, and copying a Value recurses once per level, so kwargs nested deeply
// enough (100,000 levels under ASan, a million without) overflowed the
// caller's stack instead of being refused. The depth is now checked first.
#include <gtest/gtest.h>

#include "base/task_rules.hpp"
#include "omniq/omniq.hpp"
#include "storage/memory/memory_storage.hpp"
#include "support/values.hpp"

namespace omniq::testing {
namespace {

TEST(DeepKwargsCopy, AMillionLevelsOfKwargsAreRefusedBeforeAnyCopy) {
  Settings settings;
  settings.log_level = LogLevel::error;
  OmniQ oq(std::make_shared<MemoryStorage>(), settings);
  TaskOptions o;
  o.kwargs = Value::object();
  o.kwargs["deep"] = nested_arrays(1000000);
  EXPECT_THROW(make_task("job", Value::array(), o, settings, system_clock()->now()),
               ValidationError);
  EXPECT_THROW(oq.enqueue("job", Value::array(), std::move(o)), ValidationError);
  EXPECT_EQ(oq.stats().total(), 0u);
}

}  // namespace
}  // namespace omniq::testing
