#include "file_record.hpp"

#include "file_frames.hpp"
#include "omniq/error.hpp"
#include "omniq/time.hpp"
#include "storage_rules.hpp"

namespace omniq {
namespace {

constexpr std::string_view kCancelKey = "cancel_requested";
constexpr std::string_view kResultSuffix = ".result";

Value record_value(const TaskRecord& record) {
  Value v = to_value(record.task);
  if (record.cancel_requested) v[std::string(kCancelKey)] = true;
  return v;
}

[[noreturn]] void bad_record(std::string_view id, std::string_view why) {
  throw SerializationError("task file for " + std::string(id) +
                           " is not valid: " + std::string(why));
}

}  // namespace

std::string_view suffix(RecordKind kind) {
  switch (kind) {
    case RecordKind::waiting:
      return "task";
    case RecordKind::running:
      return "running";
    case RecordKind::done:
      return "done";
  }
  return "task";
}

RecordKind kind_for(TaskStatus status) {
  if (is_waiting(status)) return RecordKind::waiting;
  if (status == TaskStatus::RUNNING) return RecordKind::running;
  return RecordKind::done;
}

std::string record_name(std::string_view id, RecordKind kind) {
  std::string name(id);
  name += '.';
  name += suffix(kind);
  return name;
}

std::string result_name(std::string_view id) {
  return std::string(id) + std::string(kResultSuffix);
}

std::optional<RecordName> parse_record_name(std::string_view file_name) {
  auto dot = file_name.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string_view id = file_name.substr(0, dot);
  std::string_view ext = file_name.substr(dot + 1);
  if (!is_valid_id(id)) return std::nullopt;
  for (RecordKind k : {RecordKind::waiting, RecordKind::running, RecordKind::done}) {
    if (ext == suffix(k)) return RecordName{std::string(id), k};
  }
  return std::nullopt;
}

std::optional<std::string> parse_result_name(std::string_view file_name) {
  if (!file_name.ends_with(kResultSuffix)) return std::nullopt;
  std::string_view id = file_name.substr(0, file_name.size() - kResultSuffix.size());
  if (!is_valid_id(id)) return std::nullopt;
  return std::string(id);
}

std::string encode_task_record(const TaskRecord& record, const Serializer& serializer) {
  return serializer.encode(record_value(record));
}

Value record_delta(const TaskRecord& before, const TaskRecord& after) {
  const Task& a = before.task;
  const Task& b = after.task;
  Value d = Value::object();
  if (a.id != b.id || a.func_path != b.func_path || a.max_retries != b.max_retries ||
      a.timeout != b.timeout || a.created_at != b.created_at || a.args != b.args ||
      a.kwargs != b.kwargs) {
    // Not a transition: compare the whole encodings.
    Value va = record_value(before), vb = record_value(after);
    for (auto& [key, value] : vb.items()) {
      if (auto it = va.find(key); it == va.end() || *it != value) d[key] = value;
    }
    for (auto& [key, value] : va.items()) {
      if (!vb.contains(key)) d[key] = nullptr;
    }
    return d;
  }
  // Key by key as to_value(Task) writes them.
  auto time_or_null = [](const std::optional<Timestamp>& t) {
    return t ? Value(format_time(*t)) : Value(nullptr);
  };
  if (a.status != b.status) d["status"] = std::string(to_string(b.status));
  if (a.schedule != b.schedule) d["schedule"] = to_value(b.schedule);
  if (a.attempts != b.attempts) d["attempts"] = b.attempts;
  if (a.updated_at != b.updated_at) d["updated_at"] = format_time(b.updated_at);
  if (a.last_attempt_at != b.last_attempt_at)
    d["last_attempt_at"] = time_or_null(b.last_attempt_at);
  if (a.error != b.error) d["error"] = b.error ? to_value(*b.error) : Value(nullptr);
  if (a.lease_expires_at != b.lease_expires_at) {
    d["lease_expires_at"] = time_or_null(b.lease_expires_at);
  }
  if (before.cancel_requested != after.cancel_requested) {
    d[std::string(kCancelKey)] = after.cancel_requested ? Value(true) : Value(nullptr);
  }
  return d;
}

TaskRecord decode_task_record(std::string_view bytes, std::string_view id, RecordKind kind,
                              const Serializer& serializer,
                              std::span<const std::string_view> deltas) {
  TaskRecord r;
  try {
    Value v = serializer.decode(bytes);
    for (std::string_view bytes_of_delta : deltas) {
      Value delta = serializer.decode(bytes_of_delta);
      if (!delta.is_object() || !v.is_object()) bad_record(id, "a delta that is not an object");
      for (auto& [key, value] : delta.items()) {
        if (value.is_null()) {
          v.erase(key);
        } else {
          v[key] = std::move(value);
        }
      }
    }
    r.task = task_from_value(v);
    if (auto it = v.find(kCancelKey); it != v.end()) {
      if (!it->is_boolean()) bad_record(id, "field \"cancel_requested\" must be a boolean");
      r.cancel_requested = it->get<bool>();
    }
    validate_task(r.task);
  } catch (const SerializationError& e) {
    bad_record(id, e.what());
  } catch (const ValidationError& e) {
    bad_record(id, e.what());
  } catch (const nlohmann::json::exception& e) {
    bad_record(id, e.what());
  }
  if (r.task.id != id) {
    bad_record(id, "it holds task id \"" + r.task.id.substr(0, 64) + "\"");
  }
  bool fits = kind == RecordKind::running || kind_for(r.task.status) == kind;
  if (!fits) {
    bad_record(id, "a ." + std::string(suffix(kind)) + " file cannot hold a " +
                       std::string(to_string(r.task.status)) + " task");
  }
  return r;
}

std::string encode_task_file(std::string_view record, const std::optional<std::string>& result,
                             std::uint32_t version) {
  std::string out;
  append_frame(out, FrameKind::seal, version, record);
  if (result) append_frame(out, FrameKind::result, version, *result);
  return out;
}

TaskFile decode_task_file(std::string_view bytes, std::string_view id, RecordKind kind,
                          const Serializer& serializer) {
  Frames frames;
  try {
    frames = parse_frames(bytes, kind != RecordKind::waiting);
  } catch (const SerializationError& e) {
    bad_record(id, e.what());
  }
  bool oversized = frames.task.size() > kMaxRecordBytes ||
                   (frames.result && frames.result->size() > kMaxRecordBytes);
  for (std::string_view d : frames.deltas) oversized = oversized || d.size() > kMaxRecordBytes;
  if (oversized)
    bad_record(id, "a record larger than " + std::to_string(kMaxRecordBytes) + " bytes");
  TaskFile f;
  f.record = decode_task_record(frames.task, id, frames.sealed ? RecordKind::running : kind,
                                serializer, frames.deltas);
  if (frames.result) f.result.emplace(*frames.result);
  f.sealed = frames.sealed;
  f.end = frames.end;
  f.version = frames.version;
  f.fits = kind == RecordKind::running || kind_for(f.record.task.status) == kind;
  return f;
}

TaskResult decode_result_record(std::string_view bytes, std::string_view id,
                                const Serializer& serializer) {
  TaskResult r;
  try {
    r = serializer.decode_result(bytes);
  } catch (const SerializationError& e) {
    throw SerializationError("result file for " + std::string(id) + " is not valid: " + e.what());
  } catch (const nlohmann::json::exception& e) {
    throw SerializationError("result file for " + std::string(id) + " is not valid: " + e.what());
  }
  if (r.task_id != id) {
    throw SerializationError("result file for " + std::string(id) + " holds task id \"" +
                             r.task_id.substr(0, 64) + "\"");
  }
  return r;
}

}  // namespace omniq
