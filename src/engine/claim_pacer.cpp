#include "engine/claim_pacer.hpp"

#include <algorithm>

namespace omniq {

ClaimPacer::ClaimPacer(std::size_t concurrency, std::size_t prefetch)
    : concurrency_(concurrency), prefetch_(prefetch), target_(std::min(prefetch, concurrency)) {}

std::size_t ClaimPacer::claim_size(std::size_t running, std::size_t buffered,
                                   bool outcomes_pending) const {
  std::size_t held = running + buffered;
  std::size_t cap = concurrency_ + target_;
  if (held >= cap) return 0;
  std::size_t room = cap - held;
  bool low = buffered <= target_ / 2;
  return low || outcomes_pending ? room : 0;
}

void ClaimPacer::claim_sent() {
  in_flight_ = true;
  started_ = 0;
}

void ClaimPacer::claim_done(std::size_t got) {
  in_flight_ = false;
  if (got == 0) {  // nothing due: nothing learnt about the rate
    starved_ = false;
    return;
  }
  std::size_t floor = std::min(prefetch_, concurrency_);
  if (starved_) {
    target_ = std::min(prefetch_, std::max(floor, target_ * 2));
  } else {
    // Tasks started during one round trip, twice over; shrinking slowly.
    std::size_t wanted = std::max(started_ * 2, target_ - target_ / 4);
    target_ = std::clamp(wanted, floor, std::max(floor, prefetch_));
  }
  starved_ = false;
}

}  // namespace omniq
