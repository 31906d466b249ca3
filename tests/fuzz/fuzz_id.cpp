// Fuzz target: task id validation and the file store's names built from ids.
// is_valid_id accepts exactly 1-64 characters of [A-Za-z0-9_-]; validate_id
// agrees with it and its message stays short and printable; a file name the
// store recognises names a valid id and is rebuilt from it byte for byte.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/task_rules.hpp"
#include "omniq/error.hpp"
#include "omniq/task.hpp"
#include "storage/file/file_record.hpp"

namespace {

bool safe(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view id(reinterpret_cast<const char*>(data), size);
  bool expected = size >= 1 && size <= 64;
  for (char c : id) expected = expected && safe(c);
  bool valid = omniq::is_valid_id(id);
  if (valid != expected) std::abort();
  try {
    omniq::validate_id(id);
    if (!valid) std::abort();
  } catch (const omniq::ValidationError& e) {
    if (valid) std::abort();
    std::string_view m = e.what();
    if (m.size() > 512) std::abort();  // 80 bytes shown, each escaped to at most 4
    for (char c : m) {
      if (static_cast<unsigned char>(c) < 0x20) std::abort();
    }
  }
  if (auto n = omniq::parse_file_name(id)) {
    if (!omniq::is_valid_id(n->id) || omniq::file_name(n->id, n->slot) != id) std::abort();
  }
  return 0;
}
