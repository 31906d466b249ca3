#include "omniq/async_worker_pool.hpp"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <deque>
#include <map>

#include "engine/attempt.hpp"
#include "engine/claim_pacer.hpp"
#include "engine/sync_threads.hpp"
#include "log_events.hpp"
#include "omniq/error.hpp"
#include "omniq/logging.hpp"

namespace omniq {

namespace {
constexpr auto kWait = asio::experimental::as_tuple(asio::use_awaitable);

std::chrono::steady_clock::duration steady(Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
}
}  // namespace

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

class AsyncWorkerPool::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(std::shared_ptr<AsyncTaskQueue> queue, Registry registry, WorkerOptions options,
       asio::any_io_executor executor)
      : queue_(std::move(queue)),
        registry_(std::move(registry)),
        opt_(options),
        strand_(asio::make_strand(executor)),
        threads_(options.concurrency),
        pacer_(options.concurrency, options.prefetch),
        wake_(strand_) {
    opt_.validate();
  }

  void start() {
    auto self = shared_from_this();
    asio::co_spawn(
        strand_, [self]() { return self->run(); }, asio::detached);
  }

  asio::awaitable<void> run();
  asio::awaitable<void> stop();
  void request_stop() {
    asio::post(strand_, [self = shared_from_this()] { self->begin_stop(); });
  }

  WorkerStats stats() const {
    std::lock_guard lock(stats_mu_);
    return stats_;
  }
  const WorkerOptions& options() const { return opt_; }

 private:
  using Strand = asio::strand<asio::any_io_executor>;

  asio::awaitable<void> claim_loop();
  asio::awaitable<void> heartbeat_loop();
  asio::awaitable<void> maintenance_loop();
  asio::awaitable<void> shut_down();
  // The task is attempt->task(), or `unhandled` when no handler is registered.
  asio::awaitable<void> run_task(Task unhandled, std::shared_ptr<Attempt> attempt);
  asio::awaitable<void> record(const Task& task, AttemptResult r);
  asio::awaitable<void> idle_wait(std::uint64_t seen_changes);
  void start_buffered();
  void on_stop_requested(const Claim& c);
  void release_buffer_entry(const std::string& id);

  void begin_stop() {
    stopping_ = true;
    wake();
    changed();
  }
  // Wakes the claim loop (on the strand).
  void wake() {
    wake_pending_ = true;
    wake_.cancel();
  }
  // Wakes every coroutine in wait_changed (on the strand).
  void changed() {
    for (auto* t : waiters_) t->cancel();
  }
  // Sleeps until changed() or the deadline (on the strand).
  asio::awaitable<void> wait_changed(std::chrono::steady_clock::time_point deadline) {
    asio::steady_timer t(strand_, deadline);
    waiters_.push_back(&t);
    co_await t.async_wait(kWait);
    // cppcheck-suppress danglingLifetime ; &t leaves waiters_ here, before t goes out of scope
    std::erase(waiters_, &t);
  }
  template <class F>
  void count(F f) {
    std::lock_guard lock(stats_mu_);
    f(stats_);
  }
  Timestamp now() const { return queue_->clock().now(); }

  std::shared_ptr<AsyncTaskQueue> queue_;
  Registry registry_;
  WorkerOptions opt_;
  Strand strand_;
  SyncThreads threads_;
  ClaimPacer pacer_;  // strand-only

  // Strand-only state.
  std::deque<Task> buffer_;  // claimed, not started
  std::map<std::string, std::shared_ptr<Attempt>> running_;
  std::size_t records_ = 0;  // outcomes being written
  std::size_t loops_ = 0;    // heartbeat + maintenance loops alive
  bool started_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
  bool wake_pending_ = false;
  asio::steady_timer wake_;                   // the claim loop sleeps here
  std::vector<asio::steady_timer*> waiters_;  // coroutines in wait_changed
  std::size_t listener_ = 0;

  mutable std::mutex stats_mu_;
  WorkerStats stats_;
};

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

void AsyncWorkerPool::Impl::on_stop_requested(const Claim& c) {
  // A cancel request (attempt -1) or a lost lease (attempt = the lost claim).
  StopReason reason = c.attempt < 0 ? StopReason::cancel : StopReason::lost;
  if (auto it = running_.find(c.task_id); it != running_.end()) {
    if (c.attempt < 0 || it->second->task().attempts == c.attempt) it->second->stop(reason);
    return;
  }
  auto it = std::find_if(buffer_.begin(), buffer_.end(),
                         [&](const Task& t) { return t.id == c.task_id; });
  if (it == buffer_.end()) return;
  Task t = std::move(*it);
  buffer_.erase(it);
  if (reason == StopReason::cancel) {
    AttemptResult r;
    r.kind = AttemptResult::Kind::cancelled;
    ++records_;
    auto self = shared_from_this();
    asio::co_spawn(
        strand_,
        [self, t = std::move(t), r]() -> asio::awaitable<void> {
          co_await self->record(t, r);
          --self->records_;
          self->changed();
        },
        asio::detached);
  }
}

asio::awaitable<void> AsyncWorkerPool::Impl::heartbeat_loop() {
  while (!stopped_) {
    auto next = std::chrono::steady_clock::now() + steady(opt_.lease / 3);
    while (!stopped_ && std::chrono::steady_clock::now() < next) co_await wait_changed(next);
    if (stopped_) break;
    std::vector<Claim> claims;
    for (const auto& [id, a] : running_) claims.push_back({id, a->task().attempts});
    for (const Task& t : buffer_) claims.push_back({t.id, t.attempts});
    if (claims.empty()) continue;
    try {
      Timestamp until = now() + opt_.lease;
      auto renew = [claims, until](Storage& s) {
        auto stop = s.renew_leases(claims, until);
        // Tell a cancel request (the claim is still ours) from a lost lease.
        std::vector<Claim> out;
        for (const Claim& c : stop) {
          auto t = s.get_task(c.task_id);
          bool ours = t && t->status == TaskStatus::RUNNING && t->attempts == c.attempt;
          out.push_back({c.task_id, ours ? -1 : c.attempt});
        }
        return out;
      };
      auto stops = co_await queue_->storage().run(renew);
      for (const Claim& c : stops) on_stop_requested(c);
    } catch (const std::exception& e) {
      logger()->error("worker could not renew its leases: {}", e.what());
    }
  }
  --loops_;
  changed();
}

asio::awaitable<void> AsyncWorkerPool::Impl::maintenance_loop() {
  while (!stopping_) {
    try {
      std::size_t recovered = co_await queue_->recover_expired();
      std::size_t purged = co_await queue_->purge_results();
      if (recovered > 0) logger()->warn("recovered {} task(s) whose worker was lost", recovered);
      if (purged > 0) logger()->info("purged {} result(s) past their TTL", purged);
    } catch (const std::exception& e) {
      logger()->error("worker maintenance failed: {}", e.what());
    }
    auto end = std::chrono::steady_clock::now() + steady(opt_.maintenance_interval);
    while (!stopping_ && std::chrono::steady_clock::now() < end) co_await wait_changed(end);
  }
  --loops_;
  changed();
}

asio::awaitable<void> AsyncWorkerPool::Impl::shut_down() {
  using clock = std::chrono::steady_clock;
  // Claimed but not started: give back at once.
  if (!buffer_.empty()) {
    std::vector<Claim> claims;
    for (const Task& t : buffer_) claims.push_back({t.id, t.attempts});
    buffer_.clear();
    Timestamp at = now();
    try {
      auto release = [claims, at](Storage& s) { s.release(claims, at); };
      co_await queue_->storage().run(release);
    } catch (const std::exception& e) {
      logger()->error("could not release claimed tasks on stop (their leases will expire): {}",
                      e.what());
    }
  }
  // Running: let them finish within the grace period, then stop them.
  auto deadline = clock::now() + steady(opt_.shutdown_grace);
  while (!running_.empty() && clock::now() < deadline) co_await wait_changed(deadline);
  if (!running_.empty()) {
    logger()->warn("stopping {} task(s) still running after the shutdown grace", running_.size());
    for (auto& [id, a] : running_) a->stop(StopReason::shutdown);
    auto hard = clock::now() + steady(opt_.timeout_grace) + std::chrono::milliseconds(100);
    while (!running_.empty() && clock::now() < hard) co_await wait_changed(hard);
  }
  // Outcomes being written must land before stop() returns.
  while (records_ > 0) co_await wait_changed(clock::now() + std::chrono::seconds(1));
  stopped_ = true;
  changed();
  while (loops_ > 0) co_await wait_changed(clock::now() + std::chrono::milliseconds(50));
}

asio::awaitable<void> AsyncWorkerPool::Impl::stop() {
  co_await asio::post(strand_, asio::use_awaitable);
  begin_stop();
  if (!started_) co_return;
  while (!stopped_ || loops_ > 0)
    co_await wait_changed(std::chrono::steady_clock::now() + std::chrono::milliseconds(50));
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
