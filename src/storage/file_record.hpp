// The records of the file store: how a file in queue/ or results/ is named,
// and bytes <-> record with every check a file read from disk needs (it may be
// truncated, hand-edited, foreign, or renamed). Internal to the library; kept
// apart from the store so a fuzz target can call decode_* directly.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "omniq/serializer.hpp"
#include "omniq/task.hpp"

namespace omniq {

// Where a task file stands, by its suffix: <id>.task, <id>.running, <id>.done.
enum class RecordKind { waiting, running, done };

std::string_view suffix(RecordKind kind);
// The file a task with this status lives in when at rest.
RecordKind kind_for(TaskStatus status);
std::string record_name(std::string_view id, RecordKind kind);
std::string result_name(std::string_view id);

struct RecordName {
  std::string id;
  RecordKind kind;
};
// "<valid id>.<task|running|done>", or nullopt for any other (foreign) name.
std::optional<RecordName> parse_record_name(std::string_view file_name);
// "<valid id>.result" -> the id, or nullopt.
std::optional<std::string> parse_result_name(std::string_view file_name);

// A task file's content: the task, plus a cancel request on a running one.
struct TaskRecord {
  Task task;
  bool cancel_requested = false;
};

std::string encode_task_record(const TaskRecord& record, const Serializer& serializer);

// Decodes the content of queue/<id>.<kind>. Throws SerializationError, saying
// what is wrong, unless it is a valid task with that id whose status fits the
// kind (.task: PENDING or RETRYING; .done: SUCCESS, FAILED or CANCELLED;
// .running: any, since a transition in progress passes through it).
TaskRecord decode_task_record(std::string_view bytes, std::string_view id, RecordKind kind,
                              const Serializer& serializer);

// Decodes the content of results/<id>.result; throws SerializationError.
TaskResult decode_result_record(std::string_view bytes, std::string_view id,
                                const Serializer& serializer);

}  // namespace omniq
