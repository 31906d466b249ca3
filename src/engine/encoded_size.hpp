// Measures how many bytes a Value takes as JSON without building the text,
// stopping as soon as a limit is passed. Internal to the library.
#pragma once

#include <cstddef>

#include "omniq/task.hpp"

namespace omniq {

// Returns the size of v.dump(), or a number larger than limit as soon as it
// is clear the size exceeds it.
std::size_t encoded_size(const Value& v, std::size_t limit);

}  // namespace omniq
