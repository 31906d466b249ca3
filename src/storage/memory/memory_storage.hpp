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

  WriteResult write(const WriteBatch& batch) override;
  CancelResult cancel(std::string_view id, Timestamp now) override;
  std::vector<Applied> renew_leases(std::span<const Claim> claims, Timestamp until) override;
  std::vector<Task> expired(Timestamp now, std::size_t limit) override;
  std::optional<Task> get_task(std::string_view id) override;
  std::optional<TaskResult> get_result(std::string_view id) override;
  std::vector<Task> list_tasks(const TaskFilter& filter) override;
  QueueStats stats() override;
  std::optional<Timestamp> next_eta() override;
  std::size_t purge_results(Timestamp older_than) override;
  void set_paused(std::string_view queue, bool paused) override;
  std::vector<std::size_t> finished_per_minute(Timestamp since, Timestamp until) override;
  void record_worker(const WorkerInfo& worker) override;
  std::vector<WorkerInfo> workers(Timestamp since) override;
  void close() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omniq
