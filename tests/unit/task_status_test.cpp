#include "omniq/task.hpp"

#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "base/task_rules.hpp"
#include "omniq/error.hpp"
#include "omniq/task.hpp"

namespace omniq {
namespace {

using S = TaskStatus;

// The table of OVERVIEW §3, written out independently of the implementation.
const std::set<std::pair<S, S>> kAllowedMoves = {
    {S::PENDING, S::RUNNING}, {S::PENDING, S::CANCELLED}, {S::RUNNING, S::SUCCESS},
    {S::RUNNING, S::FAILED},  {S::RUNNING, S::RETRYING},  {S::RUNNING, S::CANCELLED},
    {S::RUNNING, S::PENDING}, {S::RETRYING, S::RUNNING},  {S::RETRYING, S::CANCELLED},
};

class TransitionTable : public ::testing::TestWithParam<std::tuple<S, S>> {};

TEST_P(TransitionTable, CellMatchesTheDesign) {
  auto [from, to] = GetParam();
  bool expected = from == to || kAllowedMoves.count({from, to}) == 1;
  EXPECT_EQ(can_transition(from, to), expected) << to_string(from) << " -> " << to_string(to);
  if (expected) {
    EXPECT_NO_THROW(check_transition(from, to));
  } else {
    try {
      check_transition(from, to);
      FAIL() << "expected InvalidTransitionError";
    } catch (const InvalidTransitionError& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find(to_string(from)), std::string::npos) << msg;
      EXPECT_NE(msg.find(to_string(to)), std::string::npos) << msg;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllCells, TransitionTable,
                         ::testing::Combine(::testing::ValuesIn(kAllStatuses),
                                            ::testing::ValuesIn(kAllStatuses)),
                         [](const auto& cell) {
                           return std::string(to_string(std::get<0>(cell.param))) + "_to_" +
                                  std::string(to_string(std::get<1>(cell.param)));
                         });

TEST(TaskStatus, WireNamesRoundTrip) {
  for (auto s : kAllStatuses) EXPECT_EQ(parse_status(to_string(s)), s);
  EXPECT_EQ(to_string(S::RETRYING), "RETRYING");
  EXPECT_EQ(parse_status("pending"), std::nullopt);
  EXPECT_EQ(parse_status(""), std::nullopt);
  EXPECT_EQ(parse_status("DONE"), std::nullopt);
}

TEST(TaskStatus, OnlySuccessFailedCancelledAreTerminal) {
  std::set<S> terminal;
  for (auto s : kAllStatuses) {
    if (is_terminal(s)) terminal.insert(s);
  }
  EXPECT_EQ(terminal, (std::set<S>{S::SUCCESS, S::FAILED, S::CANCELLED}));
}

Timestamp at(int seconds) {
  return Timestamp{} + std::chrono::seconds(seconds);
}

TEST(Transition, ToRunningCountsTheAttemptAndStampsIt) {
  Task t;
  t.status = S::PENDING;
  transition(t, S::RUNNING, at(10));
  EXPECT_EQ(t.status, S::RUNNING);
  EXPECT_EQ(t.attempts, 1);
  EXPECT_EQ(t.last_attempt_at, at(10));
  EXPECT_EQ(t.updated_at, at(10));
  transition(t, S::RETRYING, at(11));
  transition(t, S::RUNNING, at(12));
  EXPECT_EQ(t.attempts, 2);
  EXPECT_EQ(t.last_attempt_at, at(12));
}

TEST(Transition, SameStatusOnlyTouchesUpdatedAt) {
  Task t;
  t.status = S::RUNNING;
  t.attempts = 1;
  transition(t, S::RUNNING, at(5));
  EXPECT_EQ(t.attempts, 1);
  EXPECT_EQ(t.updated_at, at(5));
  EXPECT_FALSE(t.last_attempt_at.has_value());
}

TEST(Transition, RefusedMoveLeavesTheTaskUnchanged) {
  Task t;
  t.status = S::SUCCESS;
  t.updated_at = at(1);
  EXPECT_THROW(transition(t, S::RUNNING, at(2)), InvalidTransitionError);
  EXPECT_EQ(t.status, S::SUCCESS);
  EXPECT_EQ(t.updated_at, at(1));
  EXPECT_EQ(t.attempts, 0);
}

}  // namespace
}  // namespace omniq
