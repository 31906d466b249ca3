// PoolCore upkeep: lease renewal and the worker heartbeat, timeouts and
// abandonment of stuck plain handlers, recovery and purges, stopping.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <asio/post.hpp>
#include <atomic>

#include "base/log_events.hpp"
#include "base/task_rules.hpp"
#include "engine/pool_core.hpp"

namespace omniq::detail {
namespace {

constexpr auto kStopPoll = std::chrono::milliseconds(5);

WorkerInfo worker_info(const WorkerOptions& opt, Timestamp now) {
  static std::atomic<int> pools{0};
  char host[256] = "";
  ::gethostname(host, sizeof host - 1);
  WorkerInfo w;
  w.host = host;
  w.pid = ::getpid();
  w.id = w.host + ":" + std::to_string(w.pid) + ":" + std::to_string(++pools);
  for (const auto& [name, n] : opt.served()) w.queues[name] = n;
  w.started_at = now;
  return w;
}

}  // namespace

asio::awaitable<void> PoolCore::sleep_until(SteadyTime when) {
  if (stopped_) co_return;  // stopping cancels sleepers: a later one must not start a long sleep
  asio::steady_timer t(strand_, when);
  sleepers_.push_back(&t);
  co_await t.async_wait(kWait);
  // cppcheck-suppress danglingLifetime ; &t leaves sleepers_ here, before t goes out of scope
  std::erase(sleepers_, &t);
}

asio::awaitable<void> PoolCore::nap(SteadyTime when) {
  asio::steady_timer t(strand_, when);
  co_await t.async_wait(kWait);
}

void PoolCore::kick_monitor(SteadyTime when) {
  if (when >= monitor_at_) return;
  monitor_at_ = when;
  asio::post(strand_, [self = shared_from_this()] { self->monitor_timer_.cancel(); });
}

void PoolCore::stop_locked(const std::shared_ptr<Running>& r, StopReason reason) {
  if (r->done || r->reason != StopReason::none) return;
  r->reason = reason;
  r->stop.request_stop();
  if (!r->handler || r->handler->is_async()) {
    asio::post(strand_, [r] { r->cancel.emit(asio::cancellation_type::terminal); });
    return;
  }
  r->grace = std::chrono::steady_clock::now() + steady(opt_.timeout_grace);
  kick_monitor(r->grace);
}

asio::awaitable<void> PoolCore::heartbeat_loop() {
  WorkerInfo me = worker_info(opt_, queue_->clock().now());
  while (!stopped_) {
    std::vector<Claim> claims;
    {
      std::lock_guard lock(mu_);
      for (const auto& [id, r] : running_) claims.push_back({id, r->task.attempts});
      for (const auto& [name, s] : slots_) {
        for (const Task& t : s.buffer) claims.push_back({t.id, t.attempts});
      }
    }
    try {
      me.seen_at = queue_->clock().now();
      auto renew = [q = queue_, claims, me, lease = opt_.lease] {
        q->storage().record_worker(me);
        return claims.empty() ? std::vector<Applied>{} : q->renew(claims, lease);
      };
      auto renewed = co_await on_storage(queue_, renew);
      std::lock_guard lock(mu_);
      for (std::size_t i = 0; i < renewed.size(); ++i) {
        auto it = running_.find(claims[i].task_id);
        if (renewed[i] == Applied::yes || it == running_.end()) continue;
        stop_locked(it->second,
                    renewed[i] == Applied::not_current ? StopReason::lost : StopReason::cancel);
      }
    } catch (const std::exception& e) {
      logger()->error("worker could not renew its leases: {}", e.what());
    }
    co_await sleep_until(std::chrono::steady_clock::now() + steady(opt_.lease / 3));
  }
  --loops_;
}

asio::awaitable<void> PoolCore::monitor_loop() {
  while (!stopped_) {
    std::vector<std::pair<std::shared_ptr<Running>, std::optional<Happening>>> abandoned;
    SteadyTime next = SteadyTime::max();
    {
      std::lock_guard lock(mu_);
      auto now = std::chrono::steady_clock::now();
      std::vector<std::shared_ptr<Running>> all;
      for (const auto& [id, r] : running_) all.push_back(r);
      for (const auto& r : all) {
        if (r->reason == StopReason::none && r->deadline <= now) {
          stop_locked(r, StopReason::timeout);
        }
        bool sync = r->handler && !r->handler->is_async();
        if (r->reason == StopReason::none) {
          next = std::min(next, r->deadline);
        } else if (sync && r->grace <= now) {
          // Stuck past its grace: record it without the handler, and let a
          // new thread take this one's place.
          StopReason why = r->reason;
          std::optional<Happening> h = ended(*r, Value(), nullptr);
          r->abandoned = true;
          --threads_;
          ++abandoned_;
          logger()->warn("task {} ({}): its handler did not stop within {}; abandoned", r->task.id,
                         r->task.func_path, format_duration(opt_.timeout_grace));
          if (why == StopReason::shutdown) {
            --slots_[r->task.queue].held;  // its lease expires; another worker recovers it
          } else {
            abandoned.emplace_back(r, std::move(h));
          }
        } else if (sync) {
          next = std::min(next, r->grace);
        }
      }
      monitor_at_ = next;
    }
    for (auto& [r, h] : abandoned) {
      std::vector<QueueClaim> claims;
      {
        std::lock_guard lock(mu_);
        claims = release_slot_locked(*r);
      }
      record(r, std::move(h), std::move(claims), false);
    }
    monitor_timer_.expires_at(
        std::min(next, std::chrono::steady_clock::now() + std::chrono::hours(1)));
    co_await monitor_timer_.async_wait(kWait);
  }
  --loops_;
}

asio::awaitable<void> PoolCore::maintenance_loop() {
  while (!stopped_) {
    try {
      auto upkeep = [q = queue_] {
        std::size_t r = q->recover_expired();
        return std::pair<std::size_t, std::size_t>(r, q->purge_results());
      };
      auto [recovered, purged] = co_await on_storage(queue_, upkeep);
      if (recovered > 0) logger()->warn("recovered {} task(s) whose worker was lost", recovered);
      if (purged > 0) logger()->info("purged {} result(s) past their TTL", purged);
    } catch (const std::exception& e) {
      logger()->error("worker maintenance failed: {}", e.what());
    }
    co_await sleep_until(std::chrono::steady_clock::now() + steady(opt_.maintenance_interval));
  }
  --loops_;
}

asio::awaitable<void> PoolCore::shut_down() {
  using clock = std::chrono::steady_clock;
  auto wait_for = [this](auto done, SteadyTime until) -> asio::awaitable<bool> {
    for (;;) {
      {
        std::lock_guard lock(mu_);
        if (done()) co_return true;
      }
      if (clock::now() >= until) co_return false;
      co_await nap(std::min(until, clock::now() + kStopPoll));
    }
  };
  // Claimed and never started: back at once, for other workers.
  give_back_if_stopping();
  // Running: let them finish within the grace period, then stop them.
  auto idle = [this] { return running_.empty(); };
  if (!co_await wait_for(idle, clock::now() + steady(opt_.shutdown_grace))) {
    std::lock_guard lock(mu_);
    logger()->warn("stopping {} task(s) still running after the shutdown grace", running_.size());
    for (const auto& [id, r] : running_) stop_locked(r, StopReason::shutdown);
  }
  co_await wait_for(idle,
                    clock::now() + steady(opt_.timeout_grace) + std::chrono::milliseconds(200));
  // Outcomes and give-backs being written land before stop() returns, and
  // the threads end.
  {
    std::lock_guard lock(mu_);
    threads_exit_ = true;
    work_cv_.notify_all();
  }
  co_await wait_for([this] { return records_ == 0 && threads_ == 0; }, SteadyTime::max());
  stopped_ = true;
  for (auto* t : sleepers_) t->cancel();
  monitor_timer_.cancel();
  while (loops_ > 0) co_await nap(clock::now() + kStopPoll);
  if (watch_fd_) watch_fd_->release();
  co_return;  // said, for cppcheck: it takes this coroutine for a function missing a return
}

asio::awaitable<void> PoolCore::stop() {
  co_await asio::post(strand_, asio::use_awaitable);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_pending_ = true;
  wake_timer_.cancel();
  if (!started_) co_return;
  while (!stopped_ || loops_ > 0) co_await nap(std::chrono::steady_clock::now() + kStopPoll);
}

}  // namespace omniq::detail
