#include "storage_rules.hpp"

#include "omniq/error.hpp"

namespace omniq {

void apply_claim(Task& t, Timestamp now, Duration lease) {
  transition(t, TaskStatus::RUNNING, now);
  t.lease_expires_at = now + lease;
}

void check_outcome(const Outcome& o) {
  validate_id(o.task_id);
  if (o.status == TaskStatus::RUNNING) {
    throw InvalidTransitionError("an outcome cannot leave task " + o.task_id + " RUNNING");
  }
  if (is_waiting(o.status) && !o.next_eta) {
    throw ValidationError("an outcome that makes task " + o.task_id + " " +
                          std::string(to_string(o.status)) + " needs a next_eta");
  }
}

void apply_outcome(Task& t, const Outcome& o) {
  transition(t, o.status, o.at);
  t.lease_expires_at.reset();
  if (is_waiting(o.status)) t.schedule.eta = o.next_eta;
  if (o.status == TaskStatus::PENDING) {
    // An interval task re-armed for its next run: a fresh retry budget.
    t.error.reset();
  } else if (o.error) {
    t.error = o.error;
  }
}

void check_reschedulable(const Task& t) {
  if (!is_waiting(t.status)) {
    throw InvalidTransitionError("cannot reschedule task " + t.id + ": it is " +
                                 std::string(to_string(t.status)) +
                                 ", and only PENDING or RETRYING tasks can be rescheduled");
  }
}

TaskResult cancelled_result(const Task& t, Timestamp now) {
  TaskError e{"Cancelled",  "cancelled before it ran", now,
              std::nullopt, next_retry_count(t),       false};
  return TaskResult{t.id,       TaskStatus::CANCELLED, std::nullopt, e, now,
                    t.attempts, t.last_attempt_at};
}

void apply_release(Task& t, Timestamp now) {
  TaskStatus back = t.error ? TaskStatus::RETRYING : TaskStatus::PENDING;
  transition(t, back, now);
  t.attempts = t.attempts > 0 ? t.attempts - 1 : 0;
  t.lease_expires_at.reset();
}

TaskError worker_lost_error(const Task& t, Timestamp now, bool retryable) {
  return TaskError{"WorkerLost",
                   "the worker running attempt " + std::to_string(t.attempts) +
                       " stopped renewing its lease (it crashed or was killed)",
                   now,
                   std::nullopt,
                   next_retry_count(t),
                   retryable};
}

std::optional<TaskResult> apply_recovery(Task& t, Timestamp now) {
  bool retries_left = next_retry_count(t) < t.max_retries;
  TaskError e = worker_lost_error(t, now, retries_left);
  t.lease_expires_at.reset();
  t.error = e;
  if (retries_left) {
    transition(t, TaskStatus::RETRYING, now);
    t.schedule.eta = now;
    return std::nullopt;
  }
  transition(t, TaskStatus::FAILED, now);
  return TaskResult{t.id, TaskStatus::FAILED, std::nullopt, e, now, t.attempts, t.last_attempt_at};
}

}  // namespace omniq
