// AsyncWorkerPool: claiming tasks, running them and recording their outcomes.
// Lease renewal, maintenance and stopping are in engine/worker_pool_upkeep.cpp.
#include "omniq/async_worker_pool.hpp"

#include <spdlog/spdlog.h>

#include "engine/worker_pool_impl.hpp"
#include "log_events.hpp"
#include "omniq/error.hpp"
#include "omniq/logging.hpp"

namespace omniq {

using worker_detail::kWait;
using worker_detail::steady;

void WorkerOptions::validate() const {
  auto positive = [](Duration d, const char* name) {
    if (d.count() <= 0) {
      throw ConfigError(std::string("worker option ") + name + " is " + format_duration(d) +
                        ": expected more than 0");
    }
  };
  if (concurrency == 0) throw ConfigError("worker concurrency is 0: expected 1 or more");
  positive(poll_interval, "poll_interval");
  positive(watch_interval, "watch_interval");
  positive(lease, "lease");
  positive(timeout_grace, "timeout_grace");
  positive(maintenance_interval, "maintenance_interval");
  if (shutdown_grace.count() < 0) throw ConfigError("worker shutdown_grace must not be negative");
}

asio::awaitable<void> AsyncWorkerPool::Impl::run() {
  co_await asio::post(strand_, asio::use_awaitable);
  if (started_) throw std::logic_error("AsyncWorkerPool::run: already running");
  started_ = true;
  std::weak_ptr<Impl> weak = shared_from_this();
  // The listener holds nothing tied to the event loop: it may outlive it.
  listener_ = queue_->listen([weak](AsyncTaskQueue::Event e, const std::string& id) {
    if (e == AsyncTaskQueue::Event::finished) return;  // nothing for the pool to do
    auto self = weak.lock();
    if (!self) return;
    asio::post(self->strand_, [self, e, id] {
      if (e == AsyncTaskQueue::Event::enqueued) self->wake();
      if (e == AsyncTaskQueue::Event::cancel_requested) self->on_stop_requested({id, -1});
    });
  });
  struct Unlisten {
    AsyncTaskQueue& queue;
    std::size_t id;
    ~Unlisten() { queue.unlisten(id); }
  } unlisten{*queue_, listener_};
  auto self = shared_from_this();
  loops_ = 2;
  asio::co_spawn(
      strand_, [self] { return self->heartbeat_loop(); }, asio::detached);
  asio::co_spawn(
      strand_, [self] { return self->maintenance_loop(); }, asio::detached);
  logger()->info("worker pool started: concurrency {}, handlers {}", opt_.concurrency,
                 registry_.names().size());
  co_await claim_loop();
  co_await shut_down();
  stopped_ = true;
  changed();
  logger()->info("worker pool stopped");
}

asio::awaitable<void> AsyncWorkerPool::Impl::claim_loop() {
  Duration backoff = std::chrono::milliseconds(10);
  while (!stopping_) {
    start_buffered();
    // Outcomes still being written count as held: a crash now would run those
    // tasks again, so claims + runs + unrecorded outcomes stay within
    // concurrency + prefetch (the duplicate-run bound per crash).
    std::size_t room = pacer_.claim_size(running_.size() + records_, buffer_.size(), records_ > 0);
    if (room == 0) {
      // Full: sleep until a slot frees (or a poll interval passes).
      if (!wake_pending_) {
        wake_.expires_after(steady(opt_.poll_interval));
        co_await wake_.async_wait(kWait);
      }
      wake_pending_ = false;
      continue;
    }
    std::vector<Task> claimed;
    std::uint64_t seen = 0;
    bool failed = false;
    try {
      Timestamp at = now();
      Duration lease = opt_.lease;
      pacer_.claim_sent();
      // Rides with the next group of outcomes being recorded: one commit for both.
      AsyncStorage::Claimed got = co_await queue_->storage().claim(at, room, lease);
      seen = got.changes_before;
      claimed = std::move(got.tasks);
      pacer_.claim_done(claimed.size());
      backoff = std::chrono::milliseconds(10);
    } catch (const std::exception& e) {
      pacer_.claim_done(0);
      logger()->error("worker could not claim tasks: {}; retrying in {}", e.what(),
                      format_duration(backoff));
      failed = true;
    }
    if (failed) {  // the store is failing: back off instead of spinning
      wake_.expires_after(steady(backoff));
      co_await wake_.async_wait(kWait);
      backoff = std::min<Duration>(backoff * 2, std::chrono::seconds(5));
      continue;
    }
    if (stopping_) {  // stop() arrived while claiming: these go back with the buffer
      for (Task& t : claimed) buffer_.push_back(std::move(t));
      break;
    }
    count([&](WorkerStats& s) { s.claimed += claimed.size(); });
    for (Task& t : claimed) buffer_.push_back(std::move(t));
    if (claimed.empty() && running_.size() < opt_.concurrency) co_await idle_wait(seen);
  }
}

asio::awaitable<void> AsyncWorkerPool::Impl::idle_wait(std::uint64_t seen_changes) {
  // Sleep until the next eta, a poll interval, an in-process wake, or a write
  // by another process (noticed through the store's change counter).
  auto next = co_await queue_->storage().run([](Storage& s) { return s.next_eta(); });
  Duration wait = opt_.poll_interval;
  if (next) wait = std::clamp<Duration>(*next - now(), std::chrono::milliseconds(1), wait);
  auto deadline = std::chrono::steady_clock::now() + steady(wait);
  while (!wake_pending_ && !stopping_ && std::chrono::steady_clock::now() < deadline) {
    wake_.expires_at(
        std::min(deadline, std::chrono::steady_clock::now() + steady(opt_.watch_interval)));
    co_await wake_.async_wait(kWait);
    if (wake_pending_ || stopping_) break;
    auto changes = co_await queue_->storage().run([](Storage& s) { return s.change_counter(); });
    if (changes != seen_changes) break;
  }
  wake_pending_ = false;
}

void AsyncWorkerPool::Impl::start_buffered() {
  while (!stopping_ && running_.size() < opt_.concurrency && !buffer_.empty()) {
    Task t = std::move(buffer_.front());
    buffer_.pop_front();
    auto self = shared_from_this();
    std::shared_ptr<Attempt> attempt;
    if (auto handler = registry_.find(t.func_path)) {
      std::string id = t.id;
      attempt =
          std::make_shared<Attempt>(std::move(t), std::move(handler), strand_, opt_.timeout_grace);
      running_.emplace(std::move(id), attempt);
      count([&](WorkerStats& s) { s.running = running_.size(); });
    }
    pacer_.started();
    asio::co_spawn(
        strand_,
        [self, t = std::move(t), attempt]() mutable {
          return self->run_task(std::move(t), attempt);
        },
        asio::detached);
  }
  if (running_.size() < opt_.concurrency && buffer_.empty()) pacer_.starving();
}

asio::awaitable<void> AsyncWorkerPool::Impl::run_task(Task unhandled,
                                                      std::shared_ptr<Attempt> attempt) {
  const Task& task = attempt ? attempt->task() : unhandled;
  AttemptResult r;
  if (!attempt) {
    r.kind = AttemptResult::Kind::failure;
    r.error = TaskError{"UnknownTask",
                        "no handler is registered under \"" + task.func_path + "\" in this worker",
                        Timestamp{},
                        std::nullopt,
                        0,
                        false};
  } else {
    log_events::started(task);
    r = co_await attempt->run(threads_);
    if (attempt->abandoned()) threads_.add_thread();  // keep strength while it finishes alone
    running_.erase(task.id);
  }
  count([&](WorkerStats& s) { s.running = running_.size(); });
  ++records_;
  start_buffered();
  wake();
  co_await record(task, std::move(r));
  --records_;
  wake();  // room for another claim
  changed();
}

asio::awaitable<void> AsyncWorkerPool::Impl::record(const Task& task, AttemptResult r) {
  using Kind = AttemptResult::Kind;
  try {
    bool applied = true;
    switch (r.kind) {
      case Kind::success: {
        std::optional<TaskError> unstorable;
        try {
          applied = co_await queue_->complete_task(task, std::move(r.value));
          if (applied) count([](WorkerStats& s) { ++s.succeeded; });
        } catch (const SerializationError& e) {
          unstorable = TaskError{"SerializationError", e.what(), now(), std::nullopt, 0, false};
        }
        if (unstorable) {  // the result cannot be stored: the attempt fails, without retries
          applied = co_await queue_->fail_task(task, *unstorable);
          count([](WorkerStats& s) { ++s.failed; });
        }
        break;
      }
      case Kind::failure:
      case Kind::timeout:
        r.error->timestamp = now();
        applied = co_await queue_->fail_task(task, *r.error);
        count([](WorkerStats& s) { ++s.failed; });
        break;
      case Kind::cancelled:
        applied = co_await queue_->cancel_running_task(task, "cancelled while running");
        count([](WorkerStats& s) { ++s.cancelled; });
        break;
      case Kind::shutdown: {
        // A handler still running keeps the task until its lease (no longer
        // renewed) expires, so nobody runs it twice at once.
        if (r.abandoned) break;
        // Interrupted by shutdown: give it back so the next worker runs it again.
        Claim c{task.id, task.attempts};
        Timestamp at = now();
        auto release = [c, at](Storage& s) { s.release({&c, 1}, at); };
        co_await queue_->storage().run(release);
        break;
      }
      case Kind::lost:
        applied = false;
        break;
    }
    if (!applied) {
      count([](WorkerStats& s) { ++s.lost; });
      logger()->warn("task {} ({}): the lease was lost; its outcome was not recorded", task.id,
                     task.func_path);
    }
  } catch (const std::exception& e) {
    // The store refused the write: the task keeps its claim, whose lease will
    // expire, and another attempt will run it (at-least-once).
    logger()->error("task {} ({}): could not record its outcome: {}", task.id, task.func_path,
                    e.what());
  }
}

AsyncWorkerPool::AsyncWorkerPool(std::shared_ptr<AsyncTaskQueue> queue, Registry registry,
                                 WorkerOptions options, asio::any_io_executor executor)
    : impl_(std::make_shared<Impl>(std::move(queue), std::move(registry), options, executor)) {}

AsyncWorkerPool::~AsyncWorkerPool() = default;

void AsyncWorkerPool::start() {
  impl_->start();
}
asio::awaitable<void> AsyncWorkerPool::run() {
  return impl_->run();
}
asio::awaitable<void> AsyncWorkerPool::stop() {
  return impl_->stop();
}
void AsyncWorkerPool::request_stop() {
  impl_->request_stop();
}
WorkerStats AsyncWorkerPool::stats() const {
  return impl_->stats();
}
const WorkerOptions& AsyncWorkerPool::options() const {
  return impl_->options();
}

}  // namespace omniq
