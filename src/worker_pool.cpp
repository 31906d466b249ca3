#include "omniq/worker_pool.hpp"

#include <stdexcept>

#include "event_loop.hpp"

namespace omniq {

class WorkerPool::Impl {
 public:
  Impl(std::shared_ptr<AsyncTaskQueue> queue, Registry registry, WorkerOptions options)
      : pool(std::move(queue), std::move(registry), options, loop.executor()) {}
  EventLoop loop;  // declared first: destroyed last
  AsyncWorkerPool pool;
  bool started = false;
  bool stopped = false;
};

WorkerPool::WorkerPool(std::shared_ptr<AsyncTaskQueue> queue, Registry registry,
                       WorkerOptions options)
    : impl_(std::make_unique<Impl>(std::move(queue), std::move(registry), options)) {}

WorkerPool::~WorkerPool() {
  if (impl_) stop();
}
WorkerPool::WorkerPool(WorkerPool&&) noexcept = default;
WorkerPool& WorkerPool::operator=(WorkerPool&& other) noexcept {
  if (this != &other) {
    if (impl_) stop();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

void WorkerPool::start() {
  if (impl_->started) throw std::logic_error("WorkerPool::start: already started");
  impl_->started = true;
  impl_->pool.start();
  // Returns once the loop has picked the pool up.
  impl_->loop.block([]() -> asio::awaitable<void> { co_return; });
}

void WorkerPool::stop() {
  if (!impl_->started || impl_->stopped) return;
  impl_->loop.block([this] { return impl_->pool.stop(); });
  impl_->stopped = true;
}

bool WorkerPool::running() const {
  return impl_->started && !impl_->stopped;
}
WorkerStats WorkerPool::stats() const {
  return impl_->pool.stats();
}

}  // namespace omniq
