// The file store's task files: their names (<id>.task, <id>.running,
// <id>.done) and their content, one serializer document holding the task
// and its latest result, decoded with every check a file from disk needs (it
// may be truncated, hand-edited or foreign). Apart from the store so that a
// fuzz target can call decode_record. Stateless; safe on any thread.
#pragma once

#include "base/serializer.hpp"
#include "omniq/task.hpp"

namespace omniq {

// The largest task file read; a larger one is corrupt, and is not read.
inline constexpr std::size_t kMaxRecordBytes = 64u << 20;

// Where a task file stands, by its name's suffix.
enum class Slot {
  waiting,  // .task: PENDING or RETRYING
  running,  // .running: RUNNING
  done,     // .done: SUCCESS, FAILED or CANCELLED
};
Slot slot_for(TaskStatus s);
std::string file_name(std::string_view id, Slot slot);

struct FileName {
  std::string id;
  Slot slot;
};
// Returns the id and slot of "<valid id>.<task|running|done>", else nullopt.
std::optional<FileName> parse_file_name(std::string_view name);

// A task file's content: the task, and the result of its latest run, if any.
struct Record {
  Task task;
  std::optional<TaskResult> result;
};

// Returns the task's fields, "result" (the result but its task_id and value)
// and "result_value" (on top: a value as deep as arguments may be fits under
// kMaxDepth). Throws SerializationError.
std::string encode_record(const Record& record, const Serializer& serializer);
// Throws SerializationError, saying what is wrong, unless `bytes` hold a task
// that validate_task accepts, with id `id`.
Record decode_record(std::string_view bytes, std::string_view id, const Serializer& serializer);

// Returns the mtime the record's file gets, so that purge_results and
// finished_per_minute stat files before reading them: when its result was
// finished, else when a finished task last changed; nullopt for the rest.
std::optional<Timestamp> stamp_of(const Record& record);

}  // namespace omniq
