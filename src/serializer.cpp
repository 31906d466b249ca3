#include "serializer.hpp"

#include <algorithm>
#include <cctype>

#include "omniq/error.hpp"

namespace omniq {
namespace {

// Builds a Value from parser events, refusing nesting deeper than kMaxDepth
// and binary values. Stopping at start_* keeps the parser from recursing.
class BoundedSax {
 public:
  explicit BoundedSax(Value& out) : dom_(out, /*allow_exceptions=*/true) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(Value::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(Value::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(Value::number_float_t v, const Value::string_t& s) {
    return dom_.number_float(v, s);
  }
  bool string(Value::string_t& v) { return dom_.string(v); }
  bool binary(Value::binary_t&) { return fail("binary values are not supported"); }
  bool start_object(std::size_t n) { return enter() && dom_.start_object(n); }
  bool key(Value::string_t& k) { return dom_.key(k); }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return enter() && dom_.start_array(n); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t pos, const std::string&, const nlohmann::detail::exception& e) {
    return fail(std::string(e.what()) + " (byte " + std::to_string(pos) + ")");
  }

  const std::string& error() const { return error_; }

 private:
  bool enter() {
    if (++depth_ > kMaxDepth) return fail("nesting deeper than " + std::to_string(kMaxDepth));
    return true;
  }
  bool fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    return false;
  }

  nlohmann::detail::json_sax_dom_parser<Value> dom_;
  int depth_ = 0;
  std::string error_;
};

Value decode_with(std::string_view bytes, nlohmann::detail::input_format_t format,
                  std::string_view format_name) {
  Value out;
  BoundedSax sax(out);
  bool ok = false;
  std::string why;
  try {
    ok = Value::sax_parse(bytes.begin(), bytes.end(), &sax, format, /*strict=*/true);
  } catch (const nlohmann::json::exception& e) {
    why = e.what();
  }
  if (!ok) {
    if (why.empty()) why = sax.error().empty() ? "malformed input" : sax.error();
    throw SerializationError("cannot decode " + std::string(format_name) + " (" +
                             std::to_string(bytes.size()) + " bytes): " + why);
  }
  return out;
}

void check_encodable(const Value& v) {
  if (nests_deeper_than(v, kMaxDepth)) {
    throw SerializationError("cannot encode a value nested deeper than " +
                             std::to_string(kMaxDepth) + " levels");
  }
}

}  // namespace

std::string JsonSerializer::encode(const Value& v) const {
  check_encodable(v);
  try {
    return v.dump();
  } catch (const nlohmann::json::exception& e) {
    throw SerializationError(std::string("cannot encode as JSON: ") + e.what());
  }
}

Value JsonSerializer::decode(std::string_view bytes) const {
  return decode_with(bytes, nlohmann::detail::input_format_t::json, "JSON");
}

std::string MsgpackSerializer::encode(const Value& v) const {
  check_encodable(v);
  std::string out;
  try {
    Value::to_msgpack(v, nlohmann::detail::output_adapter<char>(out));
  } catch (const nlohmann::json::exception& e) {
    throw SerializationError(std::string("cannot encode as msgpack: ") + e.what());
  }
  return out;
}

Value MsgpackSerializer::decode(std::string_view bytes) const {
  return decode_with(bytes, nlohmann::detail::input_format_t::msgpack, "msgpack");
}

std::shared_ptr<const Serializer> make_serializer(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "json" || lower == "msgspec") return std::make_shared<JsonSerializer>();
  if (lower == "msgpack") return std::make_shared<MsgpackSerializer>();
  if (lower == "cloudpickle") {
    throw ConfigError(
        "serializer \"cloudpickle\" pickles Python objects and exists only in the Python "
        "library; use \"json\" (default, alias \"msgspec\") or \"msgpack\" and give your types "
        "to_json/from_json");
  }
  throw ConfigError("unknown serializer \"" + std::string(name.substr(0, 64)) +
                    "\": expected json, msgspec (alias of json) or msgpack");
}

}  // namespace omniq
