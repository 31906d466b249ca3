#include "omniq/task.hpp"

#include <string>

#include "base/task_rules.hpp"
#include "omniq/error.hpp"

namespace omniq {
namespace {

constexpr std::size_t index(TaskStatus s) {
  return static_cast<std::size_t>(s);
}

constexpr std::array<std::string_view, 6> kNames = {"PENDING", "RUNNING",  "SUCCESS",
                                                    "FAILED",  "RETRYING", "CANCELLED"};

// kAllowed[from][to], in enum order: PENDING RUNNING SUCCESS FAILED RETRYING CANCELLED.
constexpr bool kAllowed[6][6] = {
    /* PENDING   */ {true, true, false, false, false, true},
    /* RUNNING   */ {true, true, true, true, true, true},
    /* SUCCESS   */ {false, false, true, false, false, false},
    /* FAILED    */ {false, false, false, true, false, false},
    /* RETRYING  */ {false, true, false, false, true, true},
    /* CANCELLED */ {false, false, false, false, false, true},
};

}  // namespace

std::string_view to_string(TaskStatus s) {
  return kNames.at(index(s));
}

std::optional<TaskStatus> parse_status(std::string_view text) {
  for (auto s : kAllStatuses) {
    if (kNames[index(s)] == text) return s;
  }
  return std::nullopt;
}

bool is_terminal(TaskStatus s) {
  return s == TaskStatus::SUCCESS || s == TaskStatus::FAILED || s == TaskStatus::CANCELLED;
}

bool can_transition(TaskStatus from, TaskStatus to) {
  return kAllowed[index(from)][index(to)];
}

void check_transition(TaskStatus from, TaskStatus to) {
  if (!can_transition(from, to)) {
    throw InvalidTransitionError("invalid status transition " + std::string(to_string(from)) +
                                 " -> " + std::string(to_string(to)));
  }
}

}  // namespace omniq
