// PoolCore: when and how much it claims (for free slots), the idle wait and
// the change watch, and giving claims back during a stop. Running tasks and
// recording their outcomes is in pool_core.cpp, upkeep in pool_upkeep.cpp.
#include <spdlog/spdlog.h>

#include <asio/post.hpp>

#include "base/log_events.hpp"
#include "base/task_rules.hpp"
#include "engine/pool_core.hpp"

namespace omniq::detail {
namespace {

// How long the claim loop waits after `failures` failed claims in a row.
Duration claim_backoff(int failures) {
  return std::min<Duration>(std::chrono::milliseconds(10 << std::min(failures - 1, 9)),
                            std::chrono::seconds(5));
}

}  // namespace

asio::awaitable<void> PoolCore::claim_loop() {
  // Claims happen where the reason for one is noticed (claim_free_slots);
  // this loop makes the first one, and one at each poll, eta or change
  // another process made, and backs off while the store fails.
  claim_wanted_ = true;
  for (;;) {
    bool starving = false;
    Duration backoff{};
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
      starving = starving_;
      if (failures_ > 0) backoff = claim_backoff(failures_);
    }
    if (backoff.count() > 0) {  // the store is failing: back off instead of spinning
      wake_timer_.expires_after(steady(backoff));  // a stop (or an enqueue) cuts it short
      co_await wake_timer_.async_wait(kWait);
      claim_wanted_ = true;
    }
    if (std::exchange(claim_wanted_, false)) claim_free_slots();
    co_await idle_wait(starving);
  }
}

void PoolCore::claim_free_slots() {
  std::uint64_t seen = changes_.load(std::memory_order_acquire);
  std::vector<QueueClaim> want;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    for (auto& [name, s] : slots_) {
      std::size_t held = s.held + s.buffer.size() + s.claiming;
      std::size_t room = s.limit + opt_.prefetch;
      if (held < room) {
        want.push_back({name, room - held});
        s.claiming += room - held;
      }
    }
    if (want.empty()) return;
    ++records_;
  }
  auto self = shared_from_this();
  queue_->record({}, want, opt_.lease,
                 [self, want, seen](std::exception_ptr e, TaskQueue::Recorded rec) {
                   AfterClaim next;
                   int failures = 0;
                   {
                     std::lock_guard lock(self->mu_);
                     next = self->claimed_locked(want, rec.claimed.size(), e != nullptr, seen);
                     failures = self->failures_;
                     self->dispatch_locked(rec.claimed, false);
                   }
                   if (e) {
                     logger()->error("worker could not claim tasks: {}; retrying in {}", what_of(e),
                                     format_duration(claim_backoff(failures)));
                   }
                   self->after_claim(next);
                 });
}

PoolCore::AfterClaim PoolCore::claimed_locked(const std::vector<QueueClaim>& claims,
                                              std::size_t got, bool failed, std::uint64_t seen) {
  std::size_t wanted = 0;
  for (const QueueClaim& c : claims) {
    slots_[c.queue].claiming -= c.n;
    wanted += c.n;
  }
  stats_.claimed += got;
  failures_ = failed ? failures_ + 1 : 0;
  --records_;
  bool short_claim = got < wanted;
  bool again = !failed && short_claim && changes_.load(std::memory_order_acquire) != seen;
  starving_ = short_claim && !again;
  return again ? AfterClaim::again : starving_ ? AfterClaim::wait : AfterClaim::done;
}

void PoolCore::after_claim(AfterClaim next) {
  give_back_if_stopping();
  if (next == AfterClaim::again) claim_free_slots();
  // The loop re-arms its wait: the backoff, or the change watch and next eta.
  if (next == AfterClaim::wait) wake(false);
}

asio::awaitable<void> PoolCore::idle_wait(bool starving) {
  // Until a wake (an enqueue here, a slot freed, a stop), a poll interval,
  // and when starving also the next eta or another process's write.
  Duration wait = opt_.poll_interval;
  if (starving) {
    auto next_eta = [q = queue_] { return q->storage().next_eta(); };
    std::optional<Timestamp> next;
    try {
      next = co_await on_storage(queue_, next_eta);
    } catch (const std::exception& e) {
      logger()->error("worker could not read the next eta: {}", e.what());
    }
    if (next) {
      wait =
          std::clamp<Duration>(*next - queue_->clock().now(), std::chrono::milliseconds(1), wait);
    }
    watch_changes();
  }
  if (!wake_pending_) {
    wake_timer_.expires_after(steady(wait));
    auto [ec] = co_await wake_timer_.async_wait(kWait);
    if (!ec) claim_wanted_ = true;  // a poll interval, or the next eta, passed
  }
  wake_pending_ = false;
  co_return;  // said, for cppcheck: it takes this coroutine for a function missing a return
}

void PoolCore::watch_changes() {
  if (!watch_ || watching_) return;
  int fd = watch_->fd();
  if (fd < 0) return;
  if (!watch_fd_ || watch_fd_->native_handle() != fd) {
    if (watch_fd_) watch_fd_->release();
    watch_fd_ = std::make_unique<asio::posix::stream_descriptor>(strand_, fd);
  }
  watching_ = true;
  watch_fd_->async_wait(asio::posix::stream_descriptor::wait_read,
                        [self = shared_from_this()](std::error_code ec) {
                          self->watching_ = false;
                          if (ec) return;
                          try {
                            self->watch_->consume();
                          } catch (const std::exception& e) {
                            logger()->warn("worker: the store's change watch failed: {}", e.what());
                          }
                          self->changes_.fetch_add(1, std::memory_order_acq_rel);
                          self->claim_free_slots();
                        });
}

void PoolCore::give_back_if_stopping() {
  std::vector<TaskQueue::Finished> unstarted;
  {
    std::lock_guard lock(mu_);
    if (!stopping_) return;
    for (auto& [name, s] : slots_) {
      for (Task& t : s.buffer) unstarted.push_back({std::move(t), {Happening::Kind::released}});
      s.buffer.clear();
    }
    if (unstarted.empty()) return;
    ++records_;
  }
  auto self = shared_from_this();
  queue_->record(std::move(unstarted), {}, opt_.lease, [self](std::exception_ptr e, auto) {
    if (e) {
      logger()->error("could not give back claimed tasks on stop (their leases will expire): {}",
                      what_of(e));
    }
    std::lock_guard lock(self->mu_);
    --self->records_;
  });
}

}  // namespace omniq::detail
