// ClaimPacer: how much a worker pool claims, and when.
#include "engine/claim_pacer.hpp"

#include <gtest/gtest.h>

namespace omniq {
namespace {

TEST(ClaimPacer, StartsWithABufferOfOneRoundOfSlots) {
  ClaimPacer p(4, 256);
  EXPECT_EQ(p.target(), 4u);
  EXPECT_EQ(p.claim_size(0, 0, false), 8u);  // the slots, plus the buffer aimed for
}

TEST(ClaimPacer, ClaimsAloneOnlyOnceTheBufferIsHalfEmptyButRidesWithOutcomesWheneverThereIsRoom) {
  ClaimPacer p(4, 256);
  EXPECT_EQ(p.claim_size(4, 3, false), 0u);  // buffer 3 of 4: a commit of its own can wait
  EXPECT_EQ(p.claim_size(4, 2, false), 2u);  // half empty: fill it
  EXPECT_EQ(p.claim_size(4, 3, true), 1u);   // outcomes being recorded: join their commit
  EXPECT_EQ(p.claim_size(4, 4, true), 0u);   // full
}

TEST(ClaimPacer, DoublesWhenSlotsWaitedForAClaimUpToPrefetch) {
  ClaimPacer p(4, 20);
  for (std::size_t expected : {8u, 16u, 20u, 20u}) {
    p.claim_sent();
    p.starving();
    p.claim_done(10);
    EXPECT_EQ(p.target(), expected);
  }
}

TEST(ClaimPacer, StarvingWithoutAClaimInFlightTeachesNothing) {
  ClaimPacer p(4, 256);
  p.starving();  // nothing was asked for: not the pacer's doing
  p.claim_sent();
  p.claim_done(10);
  EXPECT_EQ(p.target(), 4u);
}

TEST(ClaimPacer, FollowsTwiceTheStartsOfARoundTripAndShrinksByAQuarterAtMost) {
  ClaimPacer p(4, 256);
  for (int i = 0; i < 6; ++i) {  // grow to 256
    p.claim_sent();
    p.starving();
    p.claim_done(10);
  }
  ASSERT_EQ(p.target(), 256u);
  p.claim_sent();
  for (int i = 0; i < 150; ++i) p.started();
  p.claim_done(10);
  EXPECT_EQ(p.target(), 256u);  // 2 x 150, capped at prefetch
  p.claim_sent();               // slow tasks: one start per round trip
  p.started();
  p.claim_done(10);
  EXPECT_EQ(p.target(), 192u);  // a quarter less, not 2
  for (int i = 0; i < 40; ++i) {
    p.claim_sent();
    p.claim_done(10);
  }
  EXPECT_EQ(p.target(), 4u);  // never below the slots
}

TEST(ClaimPacer, AnEmptyClaimLeavesTheTargetAlone) {
  ClaimPacer p(4, 256);
  p.claim_sent();
  p.starving();
  p.claim_done(0);  // nothing was due
  EXPECT_EQ(p.target(), 4u);
}

TEST(ClaimPacer, ZeroPrefetchClaimsOnlyForFreeSlots) {
  ClaimPacer p(4, 0);
  EXPECT_EQ(p.target(), 0u);
  EXPECT_EQ(p.claim_size(1, 0, false), 3u);
  p.claim_sent();
  p.starving();
  p.claim_done(3);
  EXPECT_EQ(p.target(), 0u);
}

}  // namespace
}  // namespace omniq
