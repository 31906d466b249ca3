// PoolCore: starting, running tasks and recording their outcomes. Claiming
// is in pool_claims.cpp, upkeep in pool_upkeep.cpp.
#include "engine/pool_core.hpp"

#include <spdlog/spdlog.h>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <thread>

#include "base/log_events.hpp"
#include "engine/async_call.hpp"
#include "omniq/async.hpp"
#include "storage/storage_rules.hpp"

namespace omniq::detail {
namespace {

// The error a handler's exception is recorded as.
TaskError handler_error(std::exception_ptr e) {
  bool retryable = true;
  try {
    std::rethrow_exception(e);
  } catch (const PermanentError&) {  // ArgumentError too
    retryable = false;
  } catch (...) {
  }
  TaskError err = TaskError::from_exception(e, Timestamp{}, retryable);
  if (err.error_type == "omniq::ArgumentError") err.error_type = "ArgumentError";
  return err;
}

static_assert(static_cast<int>(Verdict::lost) == static_cast<int>(AttemptReport::Result::lost));

}  // namespace

PoolCore::PoolCore(std::shared_ptr<TaskQueue> queue, Registry registry, WorkerOptions options,
                   asio::any_io_executor executor)
    : queue_(std::move(queue)),
      registry_(std::move(registry)),
      opt_(std::move(options)),
      strand_(asio::make_strand(executor)),
      wake_timer_(strand_),
      monitor_timer_(strand_) {
  opt_.validate();
  for (const auto& [name, limit] : opt_.served()) {
    slots_[name].limit = limit;
    thread_limit_ += limit;
  }
}

void PoolCore::start() {
  asio::co_spawn(
      strand_, [self = shared_from_this()] { return self->run(); }, asio::detached);
}

void PoolCore::request_stop() {
  asio::post(strand_, [self = shared_from_this()] {
    std::lock_guard lock(self->mu_);
    self->stopping_ = true;
    self->wake();
  });
}

WorkerStats PoolCore::stats() const {
  std::lock_guard lock(mu_);
  WorkerStats s = stats_;
  s.running = running_.size();
  return s;
}

void PoolCore::wake(bool claim) {
  asio::post(strand_, [self = shared_from_this(), claim] {
    self->claim_wanted_ |= claim;
    self->wake_pending_ = true;
    self->wake_timer_.cancel();
  });
}

asio::awaitable<void> PoolCore::run() {
  co_await asio::post(strand_, asio::use_awaitable);
  if (started_) throw std::logic_error("worker pool: already running");
  started_ = true;
  std::weak_ptr<PoolCore> weak = shared_from_this();
  listener_ = queue_->listen([weak](TaskQueue::Event e, const std::string& id) {
    auto self = weak.lock();
    if (!self || e == TaskQueue::Event::finished) return;
    if (e == TaskQueue::Event::enqueued) {
      self->changes_.fetch_add(1, std::memory_order_acq_rel);
      return self->claim_free_slots();  // from here: no hop through the event loop
    }
    std::lock_guard lock(self->mu_);
    if (auto it = self->running_.find(id); it != self->running_.end()) {
      self->stop_locked(it->second, StopReason::cancel);
    }
  });
  try {
    auto open_watch = [q = queue_] { return q->storage().watch(); };
    watch_ = co_await on_storage(queue_, open_watch);
  } catch (const std::exception& e) {
    logger()->warn("worker: no change watch on the store ({}); polling every {}", e.what(),
                   format_duration(opt_.poll_interval));
  }
  auto self = shared_from_this();
  loops_ = 3;
  for (auto loop :
       {&PoolCore::heartbeat_loop, &PoolCore::monitor_loop, &PoolCore::maintenance_loop}) {
    asio::co_spawn(
        strand_, [self, loop] { return ((*self).*loop)(); }, asio::detached);
  }
  logger()->info("worker pool started: {} slot(s) over {} queue(s), {} handler(s)", thread_limit_,
                 slots_.size(), registry_.names().size());
  try {
    co_await claim_loop();
  } catch (const std::exception& e) {  // never skip the shutdown: stop() waits for it
    logger()->error("worker pool: claiming stopped: {}", e.what());
  }
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  co_await shut_down();
  queue_->unlisten(listener_);
  logger()->info("worker pool stopped");
}

std::shared_ptr<Running> PoolCore::begin_locked(Task t) {
  auto handler = registry_.find(t.func_path);
  auto r = std::make_shared<Running>(std::move(t), std::move(handler));
  ++slots_[r->task.queue].held;
  r->started = std::chrono::steady_clock::now();
  r->started_at = queue_->clock().now();
  if (r->task.timeout) {
    r->deadline = r->started + steady(*r->task.timeout);
    kick_monitor(r->deadline);
  } else {
    r->deadline = SteadyTime::max();
  }
  running_.emplace(r->task.id, r);
  return r;
}

std::shared_ptr<Running> PoolCore::dispatch_locked(std::vector<Task>& tasks, bool keep_one) {
  std::shared_ptr<Running> mine;
  for (Task& t : tasks) {
    Slots& s = slots_[t.queue];
    if (stopping_ || s.held >= s.limit) {
      s.buffer.push_back(std::move(t));  // claimed ahead (or arrived during stop: given back)
      continue;
    }
    auto r = begin_locked(std::move(t));
    if (!r->handler || r->handler->is_async()) {
      auto self = shared_from_this();
      asio::co_spawn(
          strand_, [self, r] { return self->run_async(r); },
          asio::bind_cancellation_slot(r->cancel.slot(), asio::detached));
    } else if (keep_one && !mine) {
      mine = std::move(r);
    } else {
      sync_work_.push_back(std::move(r));
      // Threads stuck in abandoned handlers are replaced, up to max_abandoned_threads.
      bool may_spawn = threads_ < thread_limit_ &&
                       threads_ + abandoned_ < thread_limit_ + opt_.max_abandoned_threads;
      if (idle_threads_ < sync_work_.size() && threads_ < thread_limit_) {
        if (may_spawn) {
          ++threads_;
          std::thread([self = shared_from_this()] { self->thread_main(); }).detach();
        } else if (!cap_logged_) {
          cap_logged_ = true;
          logger()->error(
              "worker pool: {} abandoned handler thread(s) still running, the cap "
              "(max_abandoned_threads); their slots are not replaced until they return",
              abandoned_);
        }
      }
      work_cv_.notify_one();
    }
  }
  return mine;
}

void PoolCore::thread_main() {
  std::unique_lock lock(mu_);
  for (;;) {
    ++idle_threads_;
    work_cv_.wait(lock, [&] { return threads_exit_ || !sync_work_.empty(); });
    --idle_threads_;
    if (sync_work_.empty()) break;
    std::shared_ptr<Running> r = std::move(sync_work_.front());
    sync_work_.pop_front();
    lock.unlock();
    bool ours = true;
    while (r && ours) r = run_sync(std::move(r), ours);
    if (!ours) return;  // abandoned while stuck: no longer one of the pool's threads
    lock.lock();
  }
  --threads_;
}

std::shared_ptr<Running> PoolCore::run_sync(std::shared_ptr<Running> r, bool& ours) {
  log_events::started(r->task);
  Value value;
  std::exception_ptr error;
  try {
    value = r->handler->sync(r->context);
  } catch (...) {
    error = std::current_exception();
  }
  std::optional<Happening> h;
  std::vector<QueueClaim> claims;
  {
    std::lock_guard lock(mu_);
    if (r->abandoned) {  // recorded by the monitor: rejoin the pool if it has room, else go
      --abandoned_;
      cap_logged_ = false;
      ours = threads_ < thread_limit_ && !threads_exit_;
      if (ours) ++threads_;
      return nullptr;
    }
    h = ended(*r, std::move(value), error);
    claims = release_slot_locked(*r);
    // Claimed ahead: the next task starts now, and the outcome's write goes
    // on without this thread waiting for it.
    Slots& s = slots_[r->task.queue];
    if (!stopping_ && !s.buffer.empty()) {
      std::vector<Task> next;
      next.push_back(std::move(s.buffer.front()));
      s.buffer.pop_front();
      if (auto mine = dispatch_locked(next, true)) {
        record(r, std::move(h), std::move(claims), false);
        return mine;
      }
    }
  }
  return record(r, std::move(h), std::move(claims), true);
}

asio::awaitable<void> PoolCore::run_async(std::shared_ptr<Running> r) {
  // co_spawn may start this inline, under mu_ held by dispatch_locked: go
  // through the strand's queue first.
  co_await asio::post(strand_, asio::use_awaitable);
  Value value;
  std::exception_ptr error;
  if (!r->handler) {
    error = std::make_exception_ptr(PermanentError("no handler is registered under \"" +
                                                   r->task.func_path + "\" in this worker"));
  } else {
    log_events::started(r->task);
    try {
      value = co_await static_cast<const AsyncHandler&>(*r->handler->async).run(r->context);
    } catch (...) {
      error = std::current_exception();
    }
    co_await asio::this_coro::reset_cancellation_state();
  }
  std::optional<Happening> h;
  std::vector<QueueClaim> claims;
  {
    std::lock_guard lock(mu_);
    h = ended(*r, std::move(value), error);
    if (!r->handler && h && h->error) h->error->error_type = "UnknownTask";
    claims = release_slot_locked(*r);
  }
  record(r, std::move(h), std::move(claims), false);
}

std::shared_ptr<Running> PoolCore::record(std::shared_ptr<Running> r, std::optional<Happening> h,
                                          std::vector<QueueClaim> claims, bool wait) {
  std::vector<TaskQueue::Finished> finished;
  if (h) finished.push_back({r->task, std::move(*h)});
  bool lost = !h;
  std::uint64_t seen = changes_.load(std::memory_order_acquire);
  if (!wait) {
    queue_->record(std::move(finished), claims, opt_.lease,
                   [self = shared_from_this(), r, claims, lost, seen](std::exception_ptr e,
                                                                      TaskQueue::Recorded rec) {
                     self->after_record(*r, lost, e, std::move(rec), claims, false, seen);
                   });
    return nullptr;
  }
  TaskQueue::Recorded rec;
  std::exception_ptr failed;
  try {
    rec = queue_->record(std::move(finished), claims, opt_.lease);
  } catch (...) {
    failed = std::current_exception();
  }
  return after_record(*r, lost, failed, std::move(rec), claims, true, seen);
}

std::optional<Happening> PoolCore::ended(Running& r, Value value, std::exception_ptr error) {
  using Kind = Happening::Kind;
  r.done = true;
  if (auto it = running_.find(r.task.id); it != running_.end() && it->second.get() == &r) {
    running_.erase(it);
  }
  Happening h;
  switch (r.reason) {
    case StopReason::lost:
      return std::nullopt;  // the claim is no longer ours: nothing may be recorded
    case StopReason::cancel:
      h.kind = Kind::cancelled;
      return h;
    case StopReason::timeout:
      h.kind = Kind::timed_out;
      return h;
    case StopReason::shutdown:
      if (error) h.kind = Kind::released;  // interrupted: the next worker runs it again
      break;
    case StopReason::none:
      break;
  }
  if (h.kind == Kind::released) return h;
  if (!error && nests_deeper_than(value, kMaxValueDepth)) {
    h.error = TaskError::make(
        "SerializationError",
        "the result nests deeper than " + std::to_string(kMaxValueDepth) + " levels", Timestamp{},
        false);
  } else if (error) {
    h.error = handler_error(error);
  }
  h.kind = h.error ? Kind::failed : Kind::succeeded;
  h.value = std::move(value);
  return h;
}

std::vector<QueueClaim> PoolCore::release_slot_locked(const Running& r) {
  Slots& s = slots_[r.task.queue];
  --s.held;
  ++records_;  // until after_record
  if (stopping_) return {};
  ++s.claiming;  // the refill of this slot
  return {{r.task.queue, 1}};
}

std::shared_ptr<Running> PoolCore::after_record(const Running& r, bool lost,
                                                std::exception_ptr error, TaskQueue::Recorded rec,
                                                const std::vector<QueueClaim>& claims,
                                                bool keep_one, std::uint64_t seen) {
  if (error) {
    logger()->error("task {} ({}): could not record its outcome: {}", r.task.id, r.task.func_path,
                    what_of(error));
  }
  // A failed write records nothing: the attempt counts as lost (its lease
  // expires), and the claim loop backs off.
  Verdict v = lost || error || rec.verdicts.empty() ? Verdict::lost : rec.verdicts.front();
  std::vector<Task> got = std::move(rec.claimed);
  std::shared_ptr<Running> next;
  AfterClaim after;
  {
    std::lock_guard lock(mu_);
    after = claimed_locked(claims, got.size(), error != nullptr, seen);
    std::uint64_t* counters[] = {&stats_.succeeded, &stats_.retried, &stats_.failed,
                                 &stats_.cancelled, &stats_.lost};
    if (v != Verdict::released) ++*counters[static_cast<int>(v)];
    // A buffered task takes the freed slot first.
    Slots& s = slots_[r.task.queue];
    if (!stopping_ && !s.buffer.empty()) {
      got.insert(got.begin(), std::move(s.buffer.front()));
      s.buffer.pop_front();
    }
    next = dispatch_locked(got, keep_one);
  }
  if (lost) {
    logger()->warn("task {} ({}): the lease was lost; its outcome was not recorded", r.task.id,
                   r.task.func_path);
  }
  after_claim(after);
  if (opt_.on_attempt && v != Verdict::released) {
    auto now = std::chrono::steady_clock::now();
    opt_.on_attempt(AttemptReport{r.task, static_cast<AttemptReport::Result>(v),
                                  std::chrono::duration_cast<Duration>(now - r.started),
                                  r.started_at - due_time(r.task)});
  }
  return next;
}

}  // namespace omniq::detail
