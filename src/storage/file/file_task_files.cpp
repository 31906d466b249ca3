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
      journal_dir_(base_.sub("journal")),
      boot_(Journal::boot_id()),
      serializer_(serializer ? std::move(serializer) : std::make_shared<JsonSerializer>()) {
  TempFiles::remove_orphans(tmp_);
  recover_journals();
  if (durability == Durability::full) {
    base_.sync();  // the new subdirectories' entries
    journal_ = std::make_unique<Journal>(journal_dir_, tmp_, boot_);
  }
}

void TaskFiles::commit(std::vector<JournalRecord>& records) {
  if (!journal_ || records.empty()) return;
  journal_->commit(records);
  if (journal_->size() <= Journal::kCheckpointBytes) return;
  try {
    checkpoint();
  } catch (const StorageError& e) {  // the records are durable; the journal just stays long
    logger()->error("file store: checkpoint of {} failed: {}", base_.path(), e.what());
  }
}

void TaskFiles::checkpoint() {
  if (!journal_) return;
  std::int64_t start = Journal::now_ns();
  queue_.sync_fs();
  Journal::advance_mark(journal_dir_, tmp_, {boot_, start});
  journal_->reset();
}

void TaskFiles::retire_journal() noexcept {
  if (!journal_) return;
  try {
    checkpoint();
    journal_->discard();
  } catch (const std::exception& e) {
    logger()->error("file store: cannot retire the journal of {}: {}", base_.path(), e.what());
  }
  journal_.reset();
}

std::optional<TaskFile> TaskFiles::read(const std::string& id, RecordKind kind) {
  std::string name = record_name(id, kind);
  std::optional<TaskFile> f;
  try {
    auto bytes = queue_.read(name, kMaxTaskFileBytes);
    if (!bytes) return std::nullopt;
    f = decode_task_file(*bytes, id, kind, *serializer_);
  } catch (const SerializationError& e) {
    quarantine(queue_, name, e.what());
    return std::nullopt;
  }
  if (!f->fits) return relocate(id, kind);
  return f;
}

std::optional<TaskFile> TaskFiles::relocate(const std::string& id, RecordKind kind) {
  RunningLock lock;
  std::string name = record_name(id, kind);
  if (lock.acquire(queue_, name, /*wait=*/true) != RunningLock::Status::locked) {
    return std::nullopt;
  }
  auto f = read_locked(lock, id, kind);
  if (!f || f->fits) return f;
  RecordKind fits = kind_for(f->record.task.status);
  logger()->warn("file store: {} holds a {} task (left by a crash); moving it to .{}",
                 queue_.path(name), to_string(f->record.task.status), suffix(fits));
  if (queue_.move(name, queue_, record_name(id, fits), /*noreplace=*/true) != FsDir::Move::moved) {
    return std::nullopt;
  }
  f->fits = true;
  return f;
}

std::optional<TaskFile> TaskFiles::read_locked(const RunningLock& lock, const std::string& id,
                                               RecordKind kind) {
  try {
    return decode_task_file(lock.read(kMaxTaskFileBytes), id, kind, *serializer_);
  } catch (const SerializationError& e) {
    quarantine(queue_, record_name(id, kind), e.what());
    return std::nullopt;
  }
}

std::optional<TaskFile> TaskFiles::find(const std::string& id) {
  // A task moves .task -> .running -> .task/.done; the one final state is
  // looked at last, and a miss on all three is only believed after a few rounds.
  for (int round = 0; round < kFindRounds; ++round) {
    for (RecordKind k : {RecordKind::waiting, RecordKind::running, RecordKind::done}) {
      if (auto r = read(id, k)) return r;
    }
  }
  return std::nullopt;
}

std::optional<TaskResult> TaskFiles::result_of(const std::string& id,
                                               const std::optional<TaskFile>& file) {
  if (!file || !file->result) return read_result_file(id);
  try {
    return decode_result_record(*file->result, id, *serializer_);
  } catch (const SerializationError& e) {
    logger()->error("file store: the result in the task file of {} cannot be read: {}", id,
                    e.what());
    return std::nullopt;
  }
}

std::optional<TaskResult> TaskFiles::read_result_file(const std::string& id) {
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
