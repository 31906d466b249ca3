#include "web/stats_cache.hpp"

namespace omniq::web {

asio::awaitable<QueueStats> StatsCache::get() {
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    if (stats_ && std::chrono::steady_clock::now() - read_at_ < keep_for_) co_return *stats_;
    generation = generation_;
  }
  QueueStats fresh = co_await oq_.stats();
  std::lock_guard lock(mu_);
  if (generation == generation_) {
    stats_ = fresh;
    read_at_ = std::chrono::steady_clock::now();
  }
  co_return fresh;
}

void StatsCache::invalidate() {
  std::lock_guard lock(mu_);
  stats_.reset();
  ++generation_;
}

}  // namespace omniq::web
