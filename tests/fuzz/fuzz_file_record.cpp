// Fuzz target: the file store's record reader, fed the content of a file in
// queue/ or results/ as another writer (or a disk error) may have left it.
// decode_task_record / decode_result_record either throw SerializationError
// or return a record that is what the name promises (the id; a status that
// fits the suffix; a task that validate_task accepts), which encodes and
// decodes again to the same bytes.
//
// The first byte picks the serializer (bit 0) and the kind (bits 1-2, 3 =
// a result file); the rest is the file's content, for the task id below.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "omniq/error.hpp"
#include "serializer.hpp"
#include "storage/file_record.hpp"

namespace {
constexpr std::string_view kId = "01935f2e-7c4a-7b1e-9d3f-0a1b2c3d4e5f";
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const auto json = omniq::make_serializer("json");
  static const auto msgpack = omniq::make_serializer("msgpack");
  const omniq::Serializer& s = (data[0] & 1) != 0 ? *msgpack : *json;
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  int pick = (data[0] >> 1) & 3;
  try {
    if (pick == 3) {
      omniq::TaskResult r = omniq::decode_result_record(bytes, kId, s);
      if (r.task_id != kId) std::abort();
      std::string once = s.encode(r);
      if (s.encode(omniq::decode_result_record(once, kId, s)) != once) std::abort();
      return 0;
    }
    auto kind = static_cast<omniq::RecordKind>(pick);
    omniq::TaskRecord r = omniq::decode_task_record(bytes, kId, kind, s);
    if (r.task.id != kId) std::abort();
    if (kind != omniq::RecordKind::running && omniq::kind_for(r.task.status) != kind) std::abort();
    omniq::validate_task(r.task);  // a record that decodes is a valid task
    std::string once = omniq::encode_task_record(r, s);
    omniq::TaskRecord again = omniq::decode_task_record(once, kId, kind, s);
    if (omniq::encode_task_record(again, s) != once) std::abort();
  } catch (const omniq::SerializationError&) {
  }
  return 0;
}
