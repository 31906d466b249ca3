#include "omniq/sync_omniq.hpp"

#include "event_loop.hpp"

namespace omniq {

class OmniQ::Impl {
 public:
  explicit Impl(AsyncOmniQ a) : async(std::move(a)) {}
  AsyncOmniQ async;
  EventLoop loop;
};

OmniQ::OmniQ(Settings settings, std::shared_ptr<Clock> clock)
    : impl_(std::make_unique<Impl>(AsyncOmniQ(std::move(settings), std::move(clock)))) {}

OmniQ::OmniQ(std::shared_ptr<Storage> storage, Settings settings, std::shared_ptr<Clock> clock)
    : impl_(std::make_unique<Impl>(
          AsyncOmniQ(std::move(storage), std::move(settings), std::move(clock)))) {}

OmniQ OmniQ::from_env() {
  return OmniQ(Settings::from_env());
}

OmniQ::~OmniQ() = default;
OmniQ::OmniQ(OmniQ&&) noexcept = default;
OmniQ& OmniQ::operator=(OmniQ&&) noexcept = default;

// Enqueues run on the calling thread: no coroutine is needed, and a lone
// caller pays no hand-off to the event loop and back.
std::string OmniQ::enqueue(std::string func_path, Value args, TaskOptions options) {
  return impl_->async.queue().enqueue_blocking(
      make_task(std::move(func_path), std::move(args), std::move(options)));
}

std::vector<std::string> OmniQ::enqueue_many(std::vector<Task> tasks) {
  return impl_->async.queue().enqueue_many_blocking(std::move(tasks));
}

Task OmniQ::make_task(std::string func_path, Value args, TaskOptions options) const {
  return impl_->async.make_task(std::move(func_path), std::move(args), std::move(options));
}

std::optional<TaskResult> OmniQ::get_result(const std::string& id, ResultOptions options) {
  return impl_->loop.block([&] { return impl_->async.get_result(id, options); });
}

CancelResult OmniQ::cancel(const std::string& id) {
  return impl_->loop.block([&] { return impl_->async.cancel(id); });
}

std::optional<Task> OmniQ::get_task(const std::string& id) {
  return impl_->loop.block([&] { return impl_->async.get_task(id); });
}

std::vector<Task> OmniQ::list_tasks(TaskFilter filter) {
  return impl_->loop.block([&] { return impl_->async.list_tasks(std::move(filter)); });
}

QueueStats OmniQ::stats() {
  return impl_->loop.block([&] { return impl_->async.stats(); });
}

WorkerPool OmniQ::worker(Registry registry, WorkerOptions options) const {
  return WorkerPool(impl_->async.shared_queue(), std::move(registry), options);
}

AsyncOmniQ& OmniQ::async() const {
  return impl_->async;
}
const Settings& OmniQ::settings() const {
  return impl_->async.settings();
}

}  // namespace omniq
