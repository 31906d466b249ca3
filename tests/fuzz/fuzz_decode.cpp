// Fuzz target: decoding tasks, results and errors from untrusted bytes, as
// JSON or msgpack. Decoding either succeeds or throws omniq's
// SerializationError (anything else escaping is a finding); what decodes must
// encode again, and re-encoding is stable (encode(decode(encode(x))) ==
// encode(x)).
//
// The first byte picks the format (bit 0) and the model (bits 1-2); the rest
// is the input.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/serializer.hpp"
#include "omniq/error.hpp"

namespace {

template <class Decode>
void round_trip(const omniq::Serializer& s, std::string_view bytes, Decode decode) {
  std::string once;
  try {
    once = s.encode(decode(bytes));
  } catch (const omniq::SerializationError&) {
    return;  // refused: fine (invalid input, or a value this format cannot hold)
  }
  // What was encoded must decode, and encode to the same bytes again.
  if (s.encode(decode(once)) != once) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const auto json = omniq::make_serializer("json");
  static const auto msgpack = omniq::make_serializer("msgpack");
  const omniq::Serializer& s = (data[0] & 1) != 0 ? *msgpack : *json;
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  switch ((data[0] >> 1) & 3) {
    case 0:
      round_trip(s, bytes, [&](std::string_view b) { return s.decode_task(b); });
      break;
    case 1:
      round_trip(s, bytes, [&](std::string_view b) { return s.decode_result(b); });
      break;
    case 2:
      round_trip(s, bytes, [&](std::string_view b) { return s.decode_error(b); });
      break;
    default:
      round_trip(s, bytes, [&](std::string_view b) { return s.decode(b); });
      break;
  }
  return 0;
}
