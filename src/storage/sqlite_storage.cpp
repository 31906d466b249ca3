#include "omniq/sqlite_storage.hpp"

#include "omniq/error.hpp"

namespace omniq {
// Work in progress.
struct SQLiteStorage::Impl {};
SQLiteStorage::SQLiteStorage(Options) {
  throw StorageError("SQLiteStorage: not built yet");
}
SQLiteStorage::~SQLiteStorage() = default;
std::string SQLiteStorage::enqueue(const Task&) {
  return {};
}
std::vector<std::string> SQLiteStorage::enqueue_many(std::span<const Task>) {
  return {};
}
std::vector<Task> SQLiteStorage::dequeue_many(Timestamp, std::size_t, Duration) {
  return {};
}
Task SQLiteStorage::mark_running(std::string_view, Timestamp, Duration) {
  return {};
}
std::vector<bool> SQLiteStorage::finish_many(std::span<const Outcome>) {
  return {};
}
void SQLiteStorage::reschedule(std::string_view, Timestamp) {}
CancelResult SQLiteStorage::cancel(std::string_view, Timestamp) {
  return {};
}
std::vector<Claim> SQLiteStorage::renew_leases(std::span<const Claim>, Timestamp) {
  return {};
}
void SQLiteStorage::release(std::span<const Claim>, Timestamp) {}
std::optional<Task> SQLiteStorage::get_task(std::string_view) {
  return {};
}
std::optional<TaskResult> SQLiteStorage::get_result(std::string_view) {
  return {};
}
std::vector<Task> SQLiteStorage::list_tasks(const TaskFilter&) {
  return {};
}
QueueStats SQLiteStorage::stats() {
  return {};
}
std::optional<Timestamp> SQLiteStorage::next_eta() {
  return {};
}
std::size_t SQLiteStorage::purge_results(Timestamp) {
  return 0;
}
std::size_t SQLiteStorage::recover_expired(Timestamp) {
  return 0;
}
std::uint64_t SQLiteStorage::change_counter() {
  return 0;
}
void SQLiteStorage::close() {}
}  // namespace omniq
