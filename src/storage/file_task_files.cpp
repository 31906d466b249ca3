#include "file_task_files.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "fs_temp_files.hpp"
#include "omniq/error.hpp"
#include "omniq/logging.hpp"

namespace omniq {
namespace {

// Rounds of looking through .task, .running and .done for a task in motion.
constexpr int kFindRounds = 4;
// How many foreign names are remembered (and so logged only once).
constexpr std::size_t kMaxForeignLogged = 1000;

}  // namespace

TaskFiles::TaskFiles(const std::string& base_dir, Durability durability,
                     std::shared_ptr<const Serializer> serializer)
    : base_(FsDir::open(base_dir)),
      queue_(base_.sub("queue")),
      results_(base_.sub("results")),
      corrupt_(base_.sub("corrupt")),
      tmp_(base_.sub("tmp")),
      durable_(durability == Durability::full),
      serializer_(serializer ? std::move(serializer) : std::make_shared<JsonSerializer>()) {
  TempFiles::remove_orphans(tmp_);
  if (durable_) base_.sync();  // the new subdirectories' entries
}

std::optional<TaskRecord> TaskFiles::read(const std::string& id, RecordKind kind) {
  std::string name = record_name(id, kind);
  try {
    auto bytes = queue_.read(name, kMaxRecordBytes);
    if (!bytes) return std::nullopt;
    return decode_task_record(*bytes, id, kind, *serializer_);
  } catch (const SerializationError& e) {
    quarantine(queue_, name, e.what());
    return std::nullopt;
  }
}

std::optional<TaskRecord> TaskFiles::read_locked(const RunningLock& lock, const std::string& id) {
  try {
    return decode_task_record(lock.read(kMaxRecordBytes), id, RecordKind::running, *serializer_);
  } catch (const SerializationError& e) {
    quarantine(queue_, record_name(id, RecordKind::running), e.what());
    return std::nullopt;
  }
}

std::optional<TaskRecord> TaskFiles::find(const std::string& id) {
  // A task moves .task -> .running -> .task/.done; the one final state is
  // looked at last, and a miss on all three is only believed after a few rounds.
  for (int round = 0; round < kFindRounds; ++round) {
    for (RecordKind k : {RecordKind::waiting, RecordKind::running, RecordKind::done}) {
      if (auto r = read(id, k)) return r;
    }
  }
  return std::nullopt;
}

std::optional<TaskResult> TaskFiles::read_result(const std::string& id) {
  std::string name = result_name(id);
  try {
    auto bytes = results_.read(name, kMaxRecordBytes);
    if (!bytes) return std::nullopt;
    return decode_result_record(*bytes, id, *serializer_);
  } catch (const SerializationError& e) {
    quarantine(results_, name, e.what());
    return std::nullopt;
  }
}

void TaskFiles::quarantine(const FsDir& dir, const std::string& name, std::string_view why) {
  auto stamp = std::chrono::system_clock::now().time_since_epoch().count();
  std::string to = name + "." + std::to_string(stamp);
  try {
    if (dir.move(name, corrupt_, to) != FsDir::Move::moved) return;  // someone else moved it
    logger()->error("file store: moved unreadable file {} to {}: {}", dir.path(name),
                    corrupt_.path(to), why);
  } catch (const StorageError& e) {
    logger()->error("file store: cannot move unreadable file {} aside ({}): {}", dir.path(name),
                    e.what(), why);
  }
}

std::vector<RecordName> TaskFiles::list_queue() {
  std::vector<RecordName> out;
  for (const FsDir::Entry& e : queue_.list()) {
    auto rec = e.regular_or_unknown ? parse_record_name(e.name) : std::nullopt;
    if (rec) {
      out.push_back(std::move(*rec));
    } else if (foreign_logged_.size() < kMaxForeignLogged &&
               foreign_logged_.insert(e.name).second) {
      logger()->warn("file store: ignoring {}: not a task file (<id>.task, .running or .done)",
                     queue_.path(e.name));
    }
  }
  return out;
}

std::vector<std::string> TaskFiles::list_results() const {
  std::vector<std::string> out;
  for (const FsDir::Entry& e : results_.list()) {
    if (auto id = parse_result_name(e.name)) out.push_back(std::move(*id));
  }
  return out;
}

}  // namespace omniq
