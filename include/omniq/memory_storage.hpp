// MemoryStorage: a Storage kept in this process's memory, for tests and for
// applications that need no persistence. Everything is lost with the process.
// Thread-safe; one mutex guards the whole store.
#pragma once

#include <memory>

#include "omniq/storage.hpp"

namespace omniq {

class MemoryStorage final : public Storage {
 public:
  MemoryStorage();
  ~MemoryStorage() override;
  MemoryStorage(const MemoryStorage&) = delete;
  MemoryStorage& operator=(const MemoryStorage&) = delete;

  std::string enqueue(const Task& task) override;
  std::vector<std::string> enqueue_many(std::span<const Task> tasks) override;
  std::vector<Task> dequeue_many(Timestamp now, std::size_t n, Duration lease) override;
  Task mark_running(std::string_view id, Timestamp now, Duration lease) override;
  std::vector<bool> finish_many(std::span<const Outcome> outcomes) override;
  void reschedule(std::string_view id, Timestamp new_eta) override;
  CancelResult cancel(std::string_view id, Timestamp now) override;
  std::vector<Claim> renew_leases(std::span<const Claim> claims, Timestamp until) override;
  void release(std::span<const Claim> claims, Timestamp now) override;
  std::optional<Task> get_task(std::string_view id) override;
  std::optional<TaskResult> get_result(std::string_view id) override;
  std::vector<Task> list_tasks(const TaskFilter& filter) override;
  QueueStats stats() override;
  std::optional<Timestamp> next_eta() override;
  std::size_t purge_results(Timestamp older_than) override;
  std::size_t recover_expired(Timestamp now) override;
  std::uint64_t change_counter() override;
  void close() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omniq
