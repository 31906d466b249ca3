// A Storage that forwards every call to another one, for tests that watch or
// delay what the engine asks of a store: override the calls of interest.
#pragma once

#include <memory>

#include "omniq/storage.hpp"

namespace omniq::testing {

class ForwardingStorage : public Storage {
 public:
  explicit ForwardingStorage(std::shared_ptr<Storage> inner) : inner_(std::move(inner)) {}

  WriteResult write(const WriteBatch& b) override { return inner_->write(b); }
  CancelResult cancel(std::string_view id, Timestamp now) override {
    return inner_->cancel(id, now);
  }
  std::vector<Applied> renew_leases(std::span<const Claim> c, Timestamp until) override {
    return inner_->renew_leases(c, until);
  }
  std::vector<Task> expired(Timestamp now, std::size_t limit) override {
    return inner_->expired(now, limit);
  }
  std::optional<Task> get_task(std::string_view id) override { return inner_->get_task(id); }
  std::optional<TaskResult> get_result(std::string_view id) override {
    return inner_->get_result(id);
  }
  std::vector<Task> list_tasks(const TaskFilter& f) override { return inner_->list_tasks(f); }
  QueueStats stats() override { return inner_->stats(); }
  std::optional<Timestamp> next_eta() override { return inner_->next_eta(); }
  std::size_t purge_results(Timestamp t) override { return inner_->purge_results(t); }
  void set_paused(std::string_view q, bool p) override { inner_->set_paused(q, p); }
  std::vector<std::size_t> finished_per_minute(Timestamp since, Timestamp until) override {
    return inner_->finished_per_minute(since, until);
  }
  void record_worker(const WorkerInfo& w) override { inner_->record_worker(w); }
  std::vector<WorkerInfo> workers(Timestamp since) override { return inner_->workers(since); }
  std::unique_ptr<ChangeWatch> watch() override { return inner_->watch(); }
  void close() override { inner_->close(); }

 protected:
  std::shared_ptr<Storage> inner_;
};

}  // namespace omniq::testing
