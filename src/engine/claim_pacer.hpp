// ClaimPacer: how many tasks a worker pool claims, and when. Internal.
//
// The pool keeps a buffer of claimed tasks ahead of its free slots, so that a
// slot that frees up starts its next task at once. The buffer it aims for
// (`target`) covers two claim round trips at the rate tasks are being started:
// enough that slots do not wait for claims, and no more, so that a pool of
// slow tasks does not hold back work another worker could run. It doubles
// whenever slots waited for a claim in flight, shrinks by a quarter at most
// per claim, and stays between min(concurrency, prefetch) and `prefetch`.
//
// A claim of its own costs the store a commit, so it is made once the buffer
// is half empty, and then fills it. A claim that can join outcomes being
// recorded (AsyncStorage::claim rides with them in one commit) costs none and
// is made whenever there is room.
//
// Not thread-safe: used on the pool's strand.
#pragma once

#include <cstddef>

namespace omniq {

class ClaimPacer {
 public:
  // REQUIRES: concurrency > 0.
  ClaimPacer(std::size_t concurrency, std::size_t prefetch);

  // How many tasks to claim now (0: none) with `running` tasks running or
  // their outcomes still being written,
  // `buffered` claimed and not started, and outcomes being recorded or not.
  std::size_t claim_size(std::size_t running, std::size_t buffered, bool outcomes_pending) const;

  // A claim is sent; its result arrives with claim_done.
  void claim_sent();
  // Counts a task started.
  void started() { ++started_; }
  // Slots are free and the buffer is empty: they wait for work.
  void starving() { starved_ |= in_flight_; }
  // The claim came back with `got` tasks.
  void claim_done(std::size_t got);

  // The buffer aimed for now (for tests and logs).
  std::size_t target() const { return target_; }

 private:
  std::size_t concurrency_;
  std::size_t prefetch_;
  std::size_t target_;
  bool in_flight_ = false;
  bool starved_ = false;
  std::size_t started_ = 0;  // tasks started since the claim was sent
};

}  // namespace omniq
