// The records of the file store: how a file in queue/ or results/ is named,
// and bytes <-> record with every check a file read from disk needs (it may be
// truncated, hand-edited, foreign, or renamed). A task file is framed
// (file_frames.hpp): its record, then deltas and results appended by later
// changes. Internal to the library; kept apart from the store so a fuzz target
// can call decode_* directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "serializer.hpp"
#include "omniq/task.hpp"

namespace omniq {

// Largest result file, task record, delta or result in a task file read back;
// anything larger is treated as corrupt.
inline constexpr std::size_t kMaxRecordBytes = 64u << 20;

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

// Decodes the content of queue/<id>.<kind>, then applies `deltas` (see
// record_delta), oldest first. Throws SerializationError, saying what is
// wrong, unless it is a valid task with that id whose status fits the kind
// (.task: PENDING or RETRYING; .done: SUCCESS, FAILED or CANCELLED; .running:
// any, since a transition in progress passes through it).
TaskRecord decode_task_record(std::string_view bytes, std::string_view id, RecordKind kind,
                              const Serializer& serializer,
                              std::span<const std::string_view> deltas = {});

// What changed from `before` to `after`, as the keys of their encoding (see
// encode_task_record) whose values differ, null for a key `after` no longer
// has. Cheap for what transitions change (status, attempts, times, lease,
// schedule, error, cancel request); anything else is found by comparing the
// whole encodings.
Value record_delta(const TaskRecord& before, const TaskRecord& after);

// A task file read back: its newest record, its newest result (still
// encoded), and where the next change goes.
struct TaskFile {
  TaskRecord record;
  std::optional<std::string> result;
  // Frames can be appended (else the file is a plain record, rewritten on change).
  bool sealed = false;
  std::size_t end = 0;        // where the next frame goes (a torn append after it is cut off)
  std::uint32_t version = 0;  // of its newest change; the next one is version + 1
  // False when the record does not fit the file's name (.task: waiting,
  // .done: finished), which only a power loss between a change and its
  // rename leaves behind: the file belongs where its record says.
  bool fits = true;
};

// The bytes of a new task file: the record (in a seal frame), then the result if any.
std::string encode_task_file(std::string_view record, const std::optional<std::string>& result,
                             std::uint32_t version);

// Decodes a whole task file (see decode_task_record for the checks, which a
// plain record must pass; a framed one may not fit its name, see
// TaskFile::fits). Throws SerializationError.
TaskFile decode_task_file(std::string_view bytes, std::string_view id, RecordKind kind,
                          const Serializer& serializer);

// Decodes the content of results/<id>.result (or a result frame); throws SerializationError.
TaskResult decode_result_record(std::string_view bytes, std::string_view id,
                                const Serializer& serializer);

}  // namespace omniq
