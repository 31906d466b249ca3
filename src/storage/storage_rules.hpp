// The rules every store applies the same way: what "due" means, and what a
// claim, an outcome, a release, a cancel and a lease recovery do to a task.
// Stores that hold Task values (memory, file) call these directly; the SQLite
// store expresses the same rules in SQL, and the conformance suite checks that
// all of them agree. Internal to the library.
#pragma once

#include <optional>

#include "omniq/storage.hpp"

namespace omniq {

inline bool is_waiting(TaskStatus s) {
  return s == TaskStatus::PENDING || s == TaskStatus::RETRYING;
}

// When a waiting task becomes due: its eta, or its creation for a task without one.
inline Timestamp due_time(const Task& t) {
  return t.schedule.eta.value_or(t.created_at);
}

// A claim: RUNNING, attempts+1, last_attempt_at = now, lease until now + lease.
void apply_claim(Task& t, Timestamp now, Duration lease);

// Throws ValidationError / InvalidTransitionError for an outcome no store may apply
// (bad id, RUNNING as an outcome, RETRYING or PENDING without next_eta).
void check_outcome(const Outcome& o);

// Applies a checked outcome to the task it finishes (the claim is current).
void apply_outcome(Task& t, const Outcome& o);

// Throws InvalidTransitionError unless the task is waiting (PENDING or RETRYING).
void check_reschedulable(const Task& t);

// The result recorded when a waiting task is cancelled.
TaskResult cancelled_result(const Task& t, Timestamp now);

// Gives an unstarted claim back: PENDING (RETRYING if a failure is recorded), attempts-1.
void apply_release(Task& t, Timestamp now);

// A RUNNING task whose lease ran out: RETRYING due now if retries remain,
// else FAILED; both with a "WorkerLost" error. Returns the result to store
// when it failed.
std::optional<TaskResult> apply_recovery(Task& t, Timestamp now);

// The retry_count a failure of the task's current attempt gets: 0 on a run's
// first attempt, one more than the recorded error's after that.
inline int next_retry_count(const Task& t) {
  return t.error ? t.error->retry_count + 1 : 0;
}

// The error recorded for a task whose worker was lost.
TaskError worker_lost_error(const Task& t, Timestamp now, bool retryable);

}  // namespace omniq
