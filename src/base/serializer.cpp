#include "base/serializer.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include "base/task_rules.hpp"
#include "omniq/error.hpp"

namespace omniq {
namespace {

// Builds a Value from parser events (nlohmann's public SAX interface),
// refusing nesting deeper than kMaxDepth and binary values. Stopping at
// start_* keeps the parser from recursing.
class BoundedSax {
 public:
  explicit BoundedSax(Value& out) : root_(out) {}

  bool null() { return put(nullptr); }
  bool boolean(bool v) { return put(v); }
  bool number_integer(Value::number_integer_t v) { return put(v); }
  bool number_unsigned(Value::number_unsigned_t v) { return put(v); }
  bool number_float(Value::number_float_t v, const Value::string_t&) { return put(v); }
  bool string(Value::string_t& v) { return put(std::move(v)); }
  bool binary(Value::binary_t&) { return fail("binary values are not supported"); }
  bool start_object(std::size_t) { return open(Value::object()); }
  bool key(Value::string_t& k) {
    slot_ = &(*open_.back())[std::move(k)];
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(Value::array()); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t pos, const std::string&, const Value::exception& e) {
    return fail(std::string(e.what()) + " (byte " + std::to_string(pos) + ")");
  }

  const std::string& error() const { return error_; }

 private:
  // Places v where the next value goes: the root, the open array's end, or
  // the open object's last key. Returns where it is.
  Value* place(Value v) {
    if (open_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Value& top = *open_.back();
    if (top.is_array()) {
      top.push_back(std::move(v));
      return &top.back();
    }
    *slot_ = std::move(v);
    return slot_;
  }
  template <class V>
  bool put(V&& v) {
    place(Value(std::forward<V>(v)));
    return true;
  }
  bool open(Value container) {
    if (open_.size() + 1 > static_cast<std::size_t>(kMaxDepth)) {
      return fail("nesting deeper than " + std::to_string(kMaxDepth));
    }
    open_.push_back(place(std::move(container)));
    return true;
  }
  bool close() {
    open_.pop_back();
    return true;
  }
  bool fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    return false;
  }

  Value& root_;
  std::vector<Value*> open_;  // the containers being filled, outermost first
  Value* slot_ = nullptr;     // the open object's last key's value
  std::string error_;
};

Value decode_with(std::string_view bytes, Value::input_format_t format,
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

// Encodes v with `write`, refusing nesting deeper than kMaxDepth.
template <class Write>
std::string encode_with(const Value& v, std::string_view format_name, Write write) {
  if (nests_deeper_than(v, kMaxDepth)) {
    throw SerializationError("cannot encode a value nested deeper than " +
                             std::to_string(kMaxDepth) + " levels");
  }
  try {
    return write(v);
  } catch (const nlohmann::json::exception& e) {
    throw SerializationError("cannot encode as " + std::string(format_name) + ": " + e.what());
  }
}

}  // namespace

std::string JsonSerializer::encode(const Value& v) const {
  return encode_with(v, "JSON", [](const Value& value) { return value.dump(); });
}

Value JsonSerializer::decode(std::string_view bytes) const {
  return decode_with(bytes, Value::input_format_t::json, "JSON");
}

std::string MsgpackSerializer::encode(const Value& v) const {
  return encode_with(v, "msgpack", [](const Value& value) {
    std::string out;
    Value::to_msgpack(value, out);
    return out;
  });
}

Value MsgpackSerializer::decode(std::string_view bytes) const {
  return decode_with(bytes, Value::input_format_t::msgpack, "msgpack");
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
