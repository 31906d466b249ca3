// Fuzz target: the file store's task-file reader, fed the content of a file
// in queue/ as another writer (or a disk error) may have left it.
// decode_record either throws SerializationError or returns a record that is
// what the name promises (the id; a task that validate_task accepts; a
// result for that task), which encodes and decodes again to the same bytes.
//
// Bit 0 of the first byte picks the serializer (JSON, msgpack); the rest is
// the file's content, for the task id below.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/serializer.hpp"
#include "base/task_rules.hpp"
#include "omniq/error.hpp"
#include "storage/file/file_record.hpp"

namespace {
constexpr std::string_view kId = "01935f2e-7c4a-7b1e-9d3f-0a1b2c3d4e5f";
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const auto json = omniq::make_serializer("json");
  static const auto msgpack = omniq::make_serializer("msgpack");
  const omniq::Serializer& s = (data[0] & 1) != 0 ? *msgpack : *json;
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    omniq::Record r = omniq::decode_record(bytes, kId, s);
    if (r.task.id != kId) std::abort();
    if (r.result && r.result->task_id != kId) std::abort();
    omniq::validate_task(r.task);  // a record that decodes is a valid task
    std::string once = omniq::encode_record(r, s);
    omniq::Record again = omniq::decode_record(once, kId, s);
    if (omniq::encode_record(again, s) != once) std::abort();
  } catch (const omniq::SerializationError&) {
  }
  return 0;
}
