#include "engine/finish_batcher.hpp"

#include <algorithm>
#include <iterator>

namespace omniq {
namespace {

// The longest a drain holds outcomes back for a claim to join them.
constexpr auto kMaxClaimWait = std::chrono::milliseconds(1);

}  // namespace

FinishBatcher::FinishBatcher(Storage& storage, Post post, std::size_t max_batch)
    : storage_(storage), post_(std::move(post)), max_batch_(max_batch) {}

void FinishBatcher::finish(Outcome outcome, FinishDone done) {
  std::lock_guard lock(mu_);
  outcomes_.push_back(std::move(outcome));
  dones_.push_back(std::move(done));
  start_drain();
}

void FinishBatcher::claim(Timestamp now, std::size_t n, Duration lease, ClaimDone done) {
  {
    std::lock_guard lock(mu_);
    claims_.push_back(ClaimRequest{now, n, lease, std::move(done)});
    start_drain();
  }
  claim_cv_.notify_one();
}

void FinishBatcher::start_drain() {
  if (draining_) return;  // the running drain takes it on its next round
  draining_ = true;
  post_([this] { drain(); });
}

void FinishBatcher::drain() {
  std::vector<Outcome> outcomes;
  std::vector<FinishDone> dones;
  std::vector<ClaimRequest> claims;
  Clock::duration last_round{};
  for (;;) {
    bool claimed_last = !claims.empty();
    outcomes.clear();
    dones.clear();
    claims.clear();
    {
      std::unique_lock lock(mu_);
      if (claimed_last && claims_.empty() && !outcomes_.empty()) {
        // The claimer just got its tasks and usually claims again within
        // microseconds: wait a little for it, so these outcomes share its
        // commit instead of paying for one of their own.
        auto wait = std::min<Clock::duration>(last_round / 2, kMaxClaimWait);
        claim_cv_.wait_for(lock, wait, [this] { return !claims_.empty(); });
      }
      if (outcomes_.empty() && claims_.empty()) {
        draining_ = false;
        return;
      }
      std::size_t n = std::min(outcomes_.size(), max_batch_);
      std::move(outcomes_.begin(), outcomes_.begin() + n, std::back_inserter(outcomes));
      std::move(dones_.begin(), dones_.begin() + n, std::back_inserter(dones));
      outcomes_.erase(outcomes_.begin(), outcomes_.begin() + n);
      dones_.erase(dones_.begin(), dones_.begin() + n);
      if (!claims_.empty()) {  // one claim per commit: each claimer has its own transaction
        claims.push_back(std::move(claims_.front()));
        claims_.pop_front();
      }
    }
    auto start = Clock::now();
    apply(outcomes, dones, claims);
    last_round = Clock::now() - start;
  }
}

void FinishBatcher::apply(std::vector<Outcome>& outcomes, std::vector<FinishDone>& dones,
                          std::vector<ClaimRequest>& claims) {
  if (claims.empty()) {
    apply_outcomes(outcomes, dones);
    return;
  }
  ClaimRequest& c = claims.front();
  if (outcomes.empty()) {
    apply_claim(c);
    return;
  }
  FinishAndClaim r;
  AsyncStorage::Claimed claimed;
  try {
    claimed.changes_before = storage_.change_counter();
    r = storage_.finish_and_dequeue(outcomes, c.now, c.n, c.lease);
  } catch (...) {  // nothing was applied: each part on its own
    apply_outcomes(outcomes, dones);
    apply_claim(c);
    return;
  }
  for (std::size_t i = 0; i < dones.size(); ++i) dones[i](nullptr, r.applied.at(i));
  claimed.tasks = std::move(r.claimed);
  c.done(r.claim_error, std::move(claimed));
}

void FinishBatcher::apply_outcomes(std::span<const Outcome> outcomes, std::span<FinishDone> dones) {
  if (outcomes.empty()) return;
  std::vector<bool> applied;
  try {
    applied = storage_.finish_many(outcomes);
  } catch (...) {
    if (outcomes.size() == 1) {
      dones[0](std::current_exception(), false);
      return;
    }
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      apply_outcomes(outcomes.subspan(i, 1), dones.subspan(i, 1));
    }
    return;
  }
  for (std::size_t i = 0; i < dones.size(); ++i) dones[i](nullptr, applied.at(i));
}

void FinishBatcher::apply_claim(ClaimRequest& c) {
  AsyncStorage::Claimed claimed;
  try {
    claimed.changes_before = storage_.change_counter();
    claimed.tasks = storage_.dequeue_many(c.now, c.n, c.lease);
  } catch (...) {
    c.done(std::current_exception(), AsyncStorage::Claimed{});
    return;
  }
  c.done(nullptr, std::move(claimed));
}

}  // namespace omniq
