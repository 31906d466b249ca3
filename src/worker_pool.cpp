// WorkerPool and AsyncWorkerPool: thin owners of a PoolCore.
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/thread_pool.hpp>
#include <future>
#include <stdexcept>

#include "base/log_events.hpp"
#include "base/task_rules.hpp"
#include "engine/async_call.hpp"
#include "engine/pool_core.hpp"
#include "omniq/async.hpp"

namespace omniq {

std::map<std::string, std::size_t> WorkerOptions::served() const {
  if (!queues.empty()) return queues;
  return {{"default", concurrency}};
}

void WorkerOptions::validate() const {
  auto positive = [](Duration d, const char* name) {
    if (d.count() <= 0) {
      throw ConfigError(std::string("worker option ") + name + " is " + format_duration(d) +
                        ": expected more than 0");
    }
  };
  for (const auto& [name, n] : served()) {
    validate_name(name, "queue");
    if (n == 0)
      throw ConfigError("worker concurrency of queue \"" + name + "\" is 0: expected 1 or more");
  }
  positive(poll_interval, "poll_interval");
  positive(lease, "lease");
  positive(timeout_grace, "timeout_grace");
  positive(maintenance_interval, "maintenance_interval");
  if (shutdown_grace.count() < 0) throw ConfigError("worker shutdown_grace must not be negative");
}

AsyncWorkerPool::AsyncWorkerPool(std::shared_ptr<detail::TaskQueue> queue, Registry registry,
                                 WorkerOptions options, asio::any_io_executor executor)
    : core_(std::make_shared<detail::PoolCore>(std::move(queue), std::move(registry),
                                               std::move(options), executor)) {}
AsyncWorkerPool::~AsyncWorkerPool() {
  if (core_) core_->request_stop();
}
AsyncWorkerPool::AsyncWorkerPool(AsyncWorkerPool&&) noexcept = default;
AsyncWorkerPool& AsyncWorkerPool::operator=(AsyncWorkerPool&& other) noexcept {
  if (this != &other) {
    if (core_) core_->request_stop();
    core_ = std::move(other.core_);
  }
  return *this;
}
void AsyncWorkerPool::start() {
  core_->start();
}
asio::awaitable<void> AsyncWorkerPool::run() {
  return core_->run();
}
asio::awaitable<void> AsyncWorkerPool::stop() {
  return core_->stop();
}
void AsyncWorkerPool::request_stop() {
  core_->request_stop();
}
WorkerStats AsyncWorkerPool::stats() const {
  return core_->stats();
}

namespace {

// Runs make()'s coroutine on `executor` and blocks for its end.
// REQUIRES: not called from the executor's own thread.
template <class Executor, class MakeAwaitable>
void block(const Executor& executor, MakeAwaitable make) {
  std::promise<void> promise;
  std::future<void> done = promise.get_future();
  asio::co_spawn(executor, std::move(make), detail::FulfilPromise<void>{&promise});
  done.get();
}

}  // namespace

// The pool's event loop is a one-thread asio::thread_pool.
class WorkerPool::Impl {
 public:
  Impl(std::shared_ptr<detail::TaskQueue> queue, Registry registry, WorkerOptions options)
      : core(std::make_shared<detail::PoolCore>(std::move(queue), std::move(registry),
                                                std::move(options), loop.get_executor())) {}
  // A pool that stopped leaves only short work on the loop: it is waited for.
  // Otherwise (never started, or stopping failed) the loop is dropped at once.
  ~Impl() {
    if (!stopped) loop.stop();
    loop.join();
  }
  asio::thread_pool loop{1};  // declared first: destroyed last
  std::shared_ptr<detail::PoolCore> core;
  bool started = false;
  bool stopped = false;
};

WorkerPool::WorkerPool(std::shared_ptr<detail::TaskQueue> queue, Registry registry,
                       WorkerOptions options)
    : impl_(std::make_unique<Impl>(std::move(queue), std::move(registry), std::move(options))) {}

WorkerPool::~WorkerPool() {
  if (!impl_) return;
  try {
    stop();
  } catch (const std::exception& e) {
    logger()->error("worker pool: stopping failed: {}", e.what());
  }
}
WorkerPool::WorkerPool(WorkerPool&&) noexcept = default;
WorkerPool& WorkerPool::operator=(WorkerPool&& other) noexcept {
  if (this != &other) {
    WorkerPool old(std::move(*this));  // stopped as it goes
    impl_ = std::move(other.impl_);
  }
  return *this;
}

void WorkerPool::start() {
  if (impl_->started) throw std::logic_error("WorkerPool::start: already started");
  impl_->started = true;
  impl_->core->start();
  // Returns once the loop has picked the pool up.
  block(impl_->loop.get_executor(), []() -> asio::awaitable<void> { co_return; });
}

void WorkerPool::stop() {
  if (!impl_->started || impl_->stopped) return;
  block(impl_->loop.get_executor(), [this] { return impl_->core->stop(); });
  impl_->stopped = true;
}

bool WorkerPool::running() const {
  return impl_->started && !impl_->stopped;
}
WorkerStats WorkerPool::stats() const {
  return impl_->core->stats();
}

}  // namespace omniq
