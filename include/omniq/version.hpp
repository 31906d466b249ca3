// The omniq version.
#pragma once

#define OMNIQ_VERSION_MAJOR 0
#define OMNIQ_VERSION_MINOR 1
#define OMNIQ_VERSION_PATCH 0

namespace omniq {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace omniq
