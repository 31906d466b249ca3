#include "file_record.hpp"

#include "omniq/error.hpp"
#include "omniq/storage.hpp"
#include "storage/storage_rules.hpp"

namespace omniq {
namespace {

constexpr std::string_view kSuffixes[] = {"task", "running", "done"};

// The result in "result" and "result_value", if any.
std::optional<TaskResult> result_of(Value& v, const std::string& id) {
  auto meta = v.find("result");
  if (meta == v.end() || meta->is_null()) return std::nullopt;
  if (!meta->is_object()) throw SerializationError("field \"result\" must be an object");
  Value r = std::move(*meta);
  r["task_id"] = id;
  if (auto value = v.find("result_value"); value != v.end()) r["result"] = std::move(*value);
  return task_result_from_value(r);
}

}  // namespace

Slot slot_for(TaskStatus s) {
  if (is_waiting(s)) return Slot::waiting;
  return s == TaskStatus::RUNNING ? Slot::running : Slot::done;
}

std::string file_name(std::string_view id, Slot slot) {
  return std::string(id) + "." + std::string(kSuffixes[static_cast<int>(slot)]);
}

std::optional<FileName> parse_file_name(std::string_view name) {
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos || !is_valid_id(name.substr(0, dot))) return std::nullopt;
  for (int s = 0; s < 3; ++s) {
    if (name.substr(dot + 1) == kSuffixes[s])
      return FileName{std::string(name.substr(0, dot)), Slot(s)};
  }
  return std::nullopt;
}

std::string encode_record(const Record& record, const Serializer& serializer) {
  Value v = to_value(record.task);
  if (record.result) {
    Value r = to_value(*record.result);
    if (r.contains("result")) v["result_value"] = std::move(r["result"]);
    r.erase("result");
    r.erase("task_id");
    v["result"] = std::move(r);
  }
  return serializer.encode(v);
}

Record decode_record(std::string_view bytes, std::string_view id, const Serializer& serializer) {
  std::string why;
  try {
    Value v = serializer.decode(bytes);
    Record record{task_from_value(v), std::nullopt};
    validate_task(record.task);
    record.result = result_of(v, record.task.id);
    if (record.task.id == id) return record;
    why = "it holds task id \"" + record.task.id.substr(0, 64) + "\"";
  } catch (const Error& e) {  // SerializationError, ValidationError
    why = e.what();
  } catch (const nlohmann::json::exception& e) {
    why = e.what();
  }
  throw SerializationError("task file for " + std::string(id) + " is not valid: " + why);
}

std::optional<Timestamp> stamp_of(const Record& record) {
  if (record.result) return record.result->finished_at;
  if (is_terminal(record.task.status)) return record.task.updated_at;
  return std::nullopt;
}

}  // namespace omniq
