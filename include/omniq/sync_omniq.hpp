// OmniQ: the blocking façade. The same methods as AsyncOmniQ, each a blocking
// call run by one event-loop thread that the OmniQ owns.
//
//   omniq::OmniQ oq = omniq::OmniQ::from_env();
//   std::string id = oq.enqueue("math.add", {2, 3});
//   omniq::WorkerPool pool = oq.worker(registry);
//   pool.start();
//   int sum = oq.get_result(id, {.wait = true, .timeout = 5s})->value<int>();
//
// Thread-safety: an OmniQ may be used from several threads at once (calls
// made together are group-committed). Do not call it from a handler that
// runs on its own event loop.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "omniq/async_omniq.hpp"
#include "omniq/worker_pool.hpp"

namespace omniq {

class OmniQ {
 public:
  explicit OmniQ(Settings settings = Settings{}, std::shared_ptr<Clock> clock = system_clock());
  explicit OmniQ(std::shared_ptr<Storage> storage, Settings settings = Settings{},
                 std::shared_ptr<Clock> clock = system_clock());
  static OmniQ from_env();
  ~OmniQ();
  OmniQ(OmniQ&&) noexcept;
  OmniQ& operator=(OmniQ&&) noexcept;

  std::string enqueue(std::string func_path, Value args = Value::array(), TaskOptions options = {});
  template <class R, class... A>
  std::string enqueue(const TaskDef<R(A...)>& def, std::type_identity_t<A>... args) {
    return enqueue(def.name(), TaskDef<R(A...)>::encode_args(args...));
  }
  template <class R, class... A>
  std::string enqueue_with(const TaskDef<R(A...)>& def, TaskOptions options,
                           std::type_identity_t<A>... args) {
    return enqueue(def.name(), TaskDef<R(A...)>::encode_args(args...), std::move(options));
  }
  std::vector<std::string> enqueue_many(std::vector<Task> tasks);
  Task make_task(std::string func_path, Value args = Value::array(),
                 TaskOptions options = {}) const;

  std::optional<TaskResult> get_result(const std::string& id, ResultOptions options = {});
  CancelResult cancel(const std::string& id);
  std::optional<Task> get_task(const std::string& id);
  std::vector<Task> list_tasks(TaskFilter filter = {});
  QueueStats stats();

  // A worker pool for this queue on its own thread (not started).
  WorkerPool worker(Registry registry, WorkerOptions options = {}) const;

  AsyncOmniQ& async() const;
  const Settings& settings() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omniq
