// StatsCache: the queue's per-status counts, reused for a short while, so that
// a Prometheus scrape every second and a dashboard refreshing itself cost the
// store one stats() query per period, however many ask.
//
// Thread-safety: get() and invalidate() from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

#include "omniq/async.hpp"

namespace omniq::web {

class StatsCache {
 public:
  StatsCache(AsyncOmniQ oq, Duration keep_for) : oq_(std::move(oq)), keep_for_(keep_for) {}

  // The counts read at most keep_for ago, else fresh ones. Throws what
  // AsyncOmniQ::stats throws.
  asio::awaitable<QueueStats> get();
  // Makes the next get() read the store (after an action changed it).
  void invalidate();

 private:
  AsyncOmniQ oq_;
  Duration keep_for_;
  std::mutex mu_;
  std::optional<QueueStats> stats_{};
  std::chrono::steady_clock::time_point read_at_{};
  std::uint64_t generation_ = 0;  // bumped by invalidate(): older reads are not kept
};

}  // namespace omniq::web
