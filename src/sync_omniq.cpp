#include "omniq/omniq.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include "engine/async_call.hpp"
#include "engine/task_queue.hpp"
#include "omniq/async.hpp"

namespace omniq {

// cppcheck-suppress passedByValue ; used twice below, so it cannot be moved from
OmniQ::OmniQ(Settings settings, std::shared_ptr<Clock> clock)
    : queue_(std::make_shared<detail::TaskQueue>(make_storage(settings), settings,
                                                 std::move(clock))) {}

OmniQ::OmniQ(std::shared_ptr<Storage> storage, Settings settings, std::shared_ptr<Clock> clock)
    : queue_(std::make_shared<detail::TaskQueue>(std::move(storage), std::move(settings),
                                                 std::move(clock))) {}

OmniQ::OmniQ(std::shared_ptr<detail::TaskQueue> queue) : queue_(std::move(queue)) {}

OmniQ OmniQ::from_env() {
  return OmniQ(Settings::from_env());
}

OmniQ::~OmniQ() = default;
OmniQ::OmniQ(OmniQ&&) noexcept = default;
OmniQ& OmniQ::operator=(OmniQ&&) noexcept = default;

std::string OmniQ::enqueue(std::string func_path, Value args, TaskOptions options) {
  return submit(std::move(func_path), std::move(args), std::move(options)).id;
}

std::string OmniQ::enqueue(TaskCall call, TaskOptions options) {
  return enqueue(std::move(call.func_path), std::move(call.args), std::move(options));
}

Enqueued OmniQ::submit(std::string func_path, Value args, TaskOptions options) {
  std::vector<Task> tasks;  // not a braced list: that would copy the arguments
  tasks.push_back(make_task(std::move(func_path), std::move(args), std::move(options)));
  return queue_->enqueue(std::move(tasks)).front();
}

std::vector<std::string> OmniQ::enqueue_many(std::vector<Task> tasks) {
  std::vector<Enqueued> done = queue_->enqueue(std::move(tasks));
  std::vector<std::string> ids;
  ids.reserve(done.size());
  for (Enqueued& e : done) ids.push_back(std::move(e.id));
  return ids;
}

Task OmniQ::make_task(std::string func_path, Value args, TaskOptions options) const {
  return queue_->make_task(std::move(func_path), std::move(args), options);
}

std::optional<TaskResult> OmniQ::get_result(const std::string& id, ResultOptions options) {
  auto result = queue_->get_result(id);
  if (result || !options.wait) return result;
  // The wait is AsyncOmniQ's, run to its end on an event loop of its own.
  asio::io_context io;
  AsyncOmniQ waiter = async();  // alive until the coroutine, which reads it, ends
  std::promise<std::optional<TaskResult>> promise;
  auto waited = promise.get_future();
  asio::co_spawn(io, waiter.get_result(id, options),
                 detail::FulfilPromise<std::optional<TaskResult>>{&promise});
  io.run();
  return waited.get();
}

CancelResult OmniQ::cancel(const std::string& id) {
  return queue_->cancel(id);
}
std::string OmniQ::retry(const std::string& id) {
  return queue_->retry(id);
}
std::optional<Task> OmniQ::get_task(const std::string& id) {
  return queue_->get_task(id);
}
std::vector<Task> OmniQ::list_tasks(const TaskFilter& filter) {
  return queue_->list_tasks(filter);
}
QueueStats OmniQ::stats() {
  return queue_->stats();
}
std::size_t OmniQ::purge_results() {
  return queue_->purge_results();
}
void OmniQ::pause_queue(const std::string& queue) {
  queue_->set_paused(queue, true);
}
void OmniQ::resume_queue(const std::string& queue) {
  queue_->set_paused(queue, false);
}

WorkerPool OmniQ::worker(Registry registry, WorkerOptions options) const {
  return WorkerPool(queue_, std::move(registry), std::move(options));
}

const Settings& OmniQ::settings() const {
  return queue_->settings();
}
const std::shared_ptr<Storage>& OmniQ::storage() const {
  return queue_->shared_storage();
}
AsyncOmniQ OmniQ::async() const {
  return AsyncOmniQ(queue_);
}

}  // namespace omniq
