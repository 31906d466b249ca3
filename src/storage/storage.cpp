#include "omniq/storage.hpp"

#include <numeric>

#include "omniq/error.hpp"
#include "omniq/file_storage.hpp"
#include "omniq/memory_storage.hpp"
#include "omniq/sqlite_storage.hpp"

namespace omniq {

std::size_t QueueStats::total() const {
  return std::accumulate(counts.begin(), counts.end(), std::size_t{0});
}

std::optional<Task> Storage::dequeue(Timestamp now, Duration lease) {
  auto tasks = dequeue_many(now, 1, lease);
  if (tasks.empty()) return std::nullopt;
  return std::move(tasks.front());
}

FinishAndClaim Storage::finish_and_dequeue(std::span<const Outcome> outcomes, Timestamp now,
                                           std::size_t n, Duration lease) {
  FinishAndClaim r;
  if (!outcomes.empty()) r.applied = finish_many(outcomes);
  try {
    if (n > 0) r.claimed = dequeue_many(now, n, lease);
  } catch (...) {
    if (outcomes.empty()) throw;
    r.claim_error = std::current_exception();
  }
  return r;
}

bool Storage::mark_done(std::string_view id, const TaskResult& result) {
  validate_id(id);
  Outcome o;
  o.task_id = std::string(id);
  o.attempt = result.attempts;
  o.status = TaskStatus::SUCCESS;
  o.result = result;
  o.result->task_id = o.task_id;
  o.result->status = TaskStatus::SUCCESS;
  o.at = result.finished_at;
  return finish_many({&o, 1}).front();
}

bool Storage::mark_failed(std::string_view id, const TaskError& error, bool will_retry,
                          int attempt) {
  validate_id(id);
  Outcome o;
  o.task_id = std::string(id);
  o.attempt = attempt;
  o.error = error;
  o.at = error.timestamp;
  if (will_retry) {
    o.status = TaskStatus::RETRYING;
    o.next_eta = error.timestamp;
  } else {
    o.status = TaskStatus::FAILED;
    o.result = TaskResult{o.task_id,       TaskStatus::FAILED, std::nullopt, error,
                          error.timestamp, o.attempt,          std::nullopt};
  }
  return finish_many({&o, 1}).front();
}

std::shared_ptr<Storage> make_storage(const Settings& settings) {
  settings.validate();
  switch (settings.backend) {
    case Backend::memory:
      return std::make_shared<MemoryStorage>();
    case Backend::file:
      return std::make_shared<FileStorage>(FileStorage::Options{
          settings.base_dir, settings.durability, make_serializer(settings.serializer)});
    case Backend::sqlite:
      return std::make_shared<SQLiteStorage>(
          SQLiteStorage::Options{settings.sqlite_path(), settings.durability});
  }
  throw ConfigError("unknown backend");
}

}  // namespace omniq
