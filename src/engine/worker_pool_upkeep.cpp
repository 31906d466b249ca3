// AsyncWorkerPool upkeep: renewing the leases of claimed tasks (and passing
// on cancel requests and lost leases), the periodic recovery of expired
// claims and purge of old results, and the graceful stop.
#include <spdlog/spdlog.h>

#include "engine/worker_pool_impl.hpp"
#include "omniq/logging.hpp"

namespace omniq {

using worker_detail::kWait;
using worker_detail::steady;

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

}  // namespace omniq
