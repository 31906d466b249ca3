// FinishBatcher: the group commit of outcomes, with claims riding along.
// Internal to the library (AsyncStorage's).
//
// finish() never blocks: the first outcome starts a drain on the storage
// threads; the drain applies everything pending in one Storage::finish_many,
// delivers each caller its own result, and repeats until nothing is pending
// (like GroupCommit). A claim() waits for the next drain and goes with its
// outcomes in one Storage::finish_and_dequeue, so a worker that records what
// it finished and claims what comes next pays for one durable commit; with no
// outcomes pending it runs alone at once. After a round that carried a claim,
// the next round waits for the claimer's next claim, at most half as long as
// that round took (and 1 ms), before it commits outcomes without one. If a batch fails as a whole,
// its outcomes are retried one by one (one bad outcome's error goes to its own caller only) and the
// claim alone.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <span>
#include <vector>

#include "omniq/async_storage.hpp"
#include "omniq/storage.hpp"

namespace omniq {

class FinishBatcher {
 public:
  using FinishDone = std::function<void(std::exception_ptr, bool)>;
  using ClaimDone = std::function<void(std::exception_ptr, AsyncStorage::Claimed)>;
  using Post = std::function<void(std::function<void()>)>;
  using Clock = std::chrono::steady_clock;

  // REQUIRES: max_batch > 0; `storage` outlives the batcher.
  FinishBatcher(Storage& storage, Post post, std::size_t max_batch);

  void finish(Outcome outcome, FinishDone done);
  void claim(Timestamp now, std::size_t n, Duration lease, ClaimDone done);

 private:
  struct ClaimRequest {
    Timestamp now{};
    std::size_t n = 0;
    Duration lease{};
    ClaimDone done;
  };

  void start_drain();  // REQUIRES: mu_ held
  void drain();
  // Applies a batch; every done is called exactly once.
  void apply(std::vector<Outcome>& outcomes, std::vector<FinishDone>& dones,
             std::vector<ClaimRequest>& claims);
  // Outcomes alone, retried one by one if the batch fails.
  void apply_outcomes(std::span<const Outcome> outcomes, std::span<FinishDone> dones);
  void apply_claim(ClaimRequest& c);

  Storage& storage_;
  Post post_;
  std::size_t max_batch_;
  std::mutex mu_;
  std::condition_variable claim_cv_;  // a claim arrived
  std::vector<Outcome> outcomes_;
  std::vector<FinishDone> dones_;
  std::deque<ClaimRequest> claims_;
  bool draining_ = false;
};

}  // namespace omniq
