#include "omniq/file_storage.hpp"

#include "omniq/error.hpp"

namespace omniq {
// Work in progress.
struct FileStorage::Impl {};
FileStorage::FileStorage(Options) {
  throw StorageError("FileStorage: not built yet");
}
FileStorage::~FileStorage() = default;
std::string FileStorage::enqueue(const Task&) {
  return {};
}
std::vector<std::string> FileStorage::enqueue_many(std::span<const Task>) {
  return {};
}
std::vector<Task> FileStorage::dequeue_many(Timestamp, std::size_t, Duration) {
  return {};
}
Task FileStorage::mark_running(std::string_view, Timestamp, Duration) {
  return {};
}
std::vector<bool> FileStorage::finish_many(std::span<const Outcome>) {
  return {};
}
void FileStorage::reschedule(std::string_view, Timestamp) {}
CancelResult FileStorage::cancel(std::string_view, Timestamp) {
  return {};
}
std::vector<Claim> FileStorage::renew_leases(std::span<const Claim>, Timestamp) {
  return {};
}
void FileStorage::release(std::span<const Claim>, Timestamp) {}
std::optional<Task> FileStorage::get_task(std::string_view) {
  return {};
}
std::optional<TaskResult> FileStorage::get_result(std::string_view) {
  return {};
}
std::vector<Task> FileStorage::list_tasks(const TaskFilter&) {
  return {};
}
QueueStats FileStorage::stats() {
  return {};
}
std::optional<Timestamp> FileStorage::next_eta() {
  return {};
}
std::size_t FileStorage::purge_results(Timestamp) {
  return 0;
}
std::size_t FileStorage::recover_expired(Timestamp) {
  return 0;
}
std::uint64_t FileStorage::change_counter() {
  return 0;
}
void FileStorage::close() {}
}  // namespace omniq
