// Values for tests of nesting limits.
#pragma once

#include "omniq/task.hpp"

namespace omniq::testing {

// `depth` arrays, each holding the next, around the number 1 (depth 0: the
// number alone). Built in place: copying a Value recurses once per level, so
// a million levels must never be copied.
inline Value nested_arrays(int depth) {
  if (depth == 0) return 1;
  Value outer = Value::array();
  Value* at = &outer;
  for (int i = 1; i < depth; ++i) {
    at->push_back(Value::array());
    at = &at->back();
  }
  at->push_back(1);
  return outer;
}

}  // namespace omniq::testing
