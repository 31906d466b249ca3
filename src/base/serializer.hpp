// Serializers turn the task models into bytes and back. Internal to the library.
//
// JsonSerializer is the default (the name "msgspec" is accepted as an alias,
// so settings written for the original keep working); MsgpackSerializer is
// binary, smaller and faster. Decoding never trusts its input: truncated
// bytes, wrong types, absurd lengths and nesting deeper than kMaxDepth raise
// SerializationError saying what was wrong.
//
// Thread-safety: serializers are stateless; one instance may be shared.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "omniq/storage.hpp"

namespace omniq {

class Serializer {
 public:
  virtual ~Serializer() = default;
  // "json" or "msgpack".
  virtual std::string_view name() const = 0;
  // Encodes a value. Throws SerializationError for values the format cannot hold.
  virtual std::string encode(const Value& v) const = 0;
  // Decodes bytes. Throws SerializationError on anything malformed.
  virtual Value decode(std::string_view bytes) const = 0;

  std::string encode(const Task& t) const { return encode(to_value(t)); }
  std::string encode(const TaskResult& r) const { return encode(to_value(r)); }
  std::string encode(const TaskError& e) const { return encode(to_value(e)); }
  Task decode_task(std::string_view bytes) const { return task_from_value(decode(bytes)); }
  TaskResult decode_result(std::string_view bytes) const {
    return task_result_from_value(decode(bytes));
  }
  TaskError decode_error(std::string_view bytes) const {
    return task_error_from_value(decode(bytes));
  }
};

class JsonSerializer final : public Serializer {
 public:
  std::string_view name() const override { return "json"; }
  std::string encode(const Value& v) const override;
  Value decode(std::string_view bytes) const override;
};

class MsgpackSerializer final : public Serializer {
 public:
  std::string_view name() const override { return "msgpack"; }
  std::string encode(const Value& v) const override;
  Value decode(std::string_view bytes) const override;
};

// Returns the serializer named `name` ("json", "msgspec", "msgpack"; case-insensitive).
// Throws ConfigError for anything else; "cloudpickle" is explained as Python-only.
std::shared_ptr<const Serializer> make_serializer(std::string_view name);

}  // namespace omniq
