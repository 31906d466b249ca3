// The rules every store applies the same way: what "due" means, what a
// claim and an outcome do to a task, when an outcome applies, and who holds
// a unique key. Stores that hold Task values (memory, file) call these
// directly; the SQL stores express the same rules in SQL, and the
// conformance suite checks that all of them agree. They build on the task
// rules (task_rules.hpp), which come with them. Internal to the library.
#pragma once

#include <optional>

#include "base/task_rules.hpp"
#include "omniq/storage.hpp"

namespace omniq {

inline bool is_waiting(TaskStatus s) {
  return s == TaskStatus::PENDING || s == TaskStatus::RETRYING;
}

// When a waiting task becomes due: its eta, or its creation for a task without one.
inline Timestamp due_time(const Task& t) {
  return t.schedule.eta.value_or(t.created_at);
}

// The bit of a status in Task::unique_statuses.
inline std::uint8_t status_bit(TaskStatus s) {
  return static_cast<std::uint8_t>(1u << static_cast<unsigned>(s));
}

// True when the task holds its unique key in its present status.
inline bool holds_unique_key(const Task& t) {
  return t.unique_key && (t.unique_statuses & status_bit(t.status)) != 0;
}

// Throws ValidationError for a batch no store may write: a task that fails
// validate_task, a claim entry with a bad queue name or naming a queue twice,
// an outcome that check_outcome refuses.
void check_batch(const WriteBatch& batch);

// Throws ValidationError / InvalidTransitionError for an outcome no store may
// apply (bad id, RUNNING as an outcome, RETRYING or PENDING without next_eta).
void check_outcome(const Outcome& o);

// Whether an outcome applies to the task as stored (its claim current, no
// cancel request unless the outcome is CANCELLED, the lease run out for a
// lost worker's outcome).
Applied outcome_applies(const Task& t, const Outcome& o);

// A claim: RUNNING, attempts+1, last_attempt_at = now, lease until now + lease.
void apply_claim(Task& t, Timestamp now, Duration lease);

// Applies a checked outcome that outcome_applies() accepted.
void apply_outcome(Task& t, const Outcome& o);

// finished_per_minute's shape: the number of minutes in [since, until), and
// the minute an instant falls in.
inline std::size_t minutes_between(Timestamp since, Timestamp until) {
  if (until <= since) return 0;
  return static_cast<std::size_t>((until - since + std::chrono::minutes(1) - Duration(1)) /
                                  std::chrono::minutes(1));
}
inline std::size_t minute_index(Timestamp since, Timestamp t) {
  return static_cast<std::size_t>((t - since) / std::chrono::minutes(1));
}

// Workers not seen for this long are forgotten.
inline constexpr Duration kWorkerMemory = std::chrono::hours(24);

// The result recorded when a waiting task is cancelled.
TaskResult cancelled_result(const Task& t, Timestamp now);

}  // namespace omniq
