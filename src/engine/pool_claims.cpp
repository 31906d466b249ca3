// PoolCore: when and how much it claims (for free slots), the idle wait and
// the change watch, and giving claims back during a stop. Running tasks and
// recording their outcomes is in pool_core.cpp, upkeep in pool_upkeep.cpp.
#include <spdlog/spdlog.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include "engine/pool_core.hpp"
#include "omniq/logging.hpp"
#include "task_rules.hpp"

namespace omniq::detail {
namespace {

constexpr auto kWait = asio::experimental::as_tuple(asio::use_awaitable);

std::chrono::steady_clock::duration steady(Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
}

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
  queue_->record(
      {}, want, opt_.lease, [self, want, seen](std::exception_ptr e, TaskQueue::Recorded rec) {
        if (e) {
          int failures = 0;
          {
            std::lock_guard lock(self->mu_);
            failures = self->failures_ + 1;
          }
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            logger()->error("worker could not claim tasks: {}; retrying in {}", ex.what(),
                            format_duration(claim_backoff(failures)));
          }
        }
        std::size_t wanted = 0;
        for (const QueueClaim& c : want) wanted += c.n;
        bool again = false;
        bool starving = false;
        {
          std::lock_guard lock(self->mu_);
          for (const QueueClaim& c : want) self->slots_[c.queue].claiming -= c.n;
          self->stats_.claimed += rec.claimed.size();
          bool short_claim = rec.claimed.size() < wanted;
          self->dispatch_locked(rec.claimed, false);
          self->failures_ = e ? self->failures_ + 1 : 0;
          // Came back short: claim again if something changed meanwhile, else wait for a change.
          again = !e && short_claim && self->changes_.load(std::memory_order_acquire) != seen;
          starving = self->starving_ = short_claim && !again;
          --self->records_;
        }
        self->give_back_if_stopping();
        if (again) {
          self->claim_free_slots();
        } else if (e || starving) {  // read under the lock: handler threads write it too
          self->wake(false);  // the loop re-arms its wait: backoff, or the change watch and eta
        }
      });
}

asio::awaitable<void> PoolCore::idle_wait(bool starving) {
  // Until a wake (an enqueue here, a slot freed, a stop), a poll interval,
  // and when starving also the next eta or another process's write.
  Duration wait = opt_.poll_interval;
  if (starving) {
    auto next_eta = [q = queue_] { return q->storage().next_eta(); };
    std::optional<Timestamp> next;
    try {
      next = co_await on_storage(next_eta);
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
    if (e) logger()->error("could not give back claimed tasks on stop (their leases will expire)");
    std::lock_guard lock(self->mu_);
    --self->records_;
  });
}

}  // namespace omniq::detail
