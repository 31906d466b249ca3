// Fuzz target: the text forms of time. parse_duration either throws
// ConfigError or returns a non-negative duration that format_duration writes
// back in a form parse_duration reads to the same value; parse_time either
// throws SerializationError or returns an instant whose format_time text
// parses back to it.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/task_rules.hpp"
#include "omniq/error.hpp"
#include "omniq/time.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    omniq::Duration d = omniq::parse_duration(text);
    if (d.count() < 0) std::abort();
    if (omniq::parse_duration(omniq::format_duration(d)) != d) std::abort();
  } catch (const omniq::ConfigError&) {
  }
  try {
    omniq::Timestamp t = omniq::parse_time(text);
    if (omniq::parse_time(omniq::format_time(t)) != t) std::abort();
  } catch (const omniq::SerializationError&) {
  }
  return 0;
}
