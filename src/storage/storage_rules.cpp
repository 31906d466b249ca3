#include "storage_rules.hpp"

#include <set>

#include "base/task_rules.hpp"
#include "omniq/error.hpp"

namespace omniq {

void check_batch(const WriteBatch& batch) {
  for (const Task& t : batch.enqueue) validate_task(t);
  for (const Outcome& o : batch.outcomes) check_outcome(o);
  std::set<std::string_view> queues;
  for (const QueueClaim& c : batch.claims) {
    validate_name(c.queue, "queue");
    if (!queues.insert(c.queue).second) {
      throw ValidationError("a write claims from queue \"" + c.queue + "\" twice");
    }
  }
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

Applied outcome_applies(const Task& t, const Outcome& o) {
  if (t.status != TaskStatus::RUNNING || t.attempts != o.attempt) return Applied::not_current;
  if (o.lease_expired && !(t.lease_expires_at && *t.lease_expires_at < o.at)) {
    return Applied::not_current;
  }
  if (t.cancel_requested && o.status != TaskStatus::CANCELLED) return Applied::cancel_requested;
  return Applied::yes;
}

void apply_claim(Task& t, Timestamp now, Duration lease) {
  transition(t, TaskStatus::RUNNING, now);
  t.lease_expires_at = now + lease;
}

void apply_outcome(Task& t, const Outcome& o) {
  transition(t, o.status, o.at);
  t.lease_expires_at.reset();
  if (is_waiting(o.status)) t.schedule.eta = o.next_eta;
  t.error = o.error;
}

TaskResult cancelled_result(const Task& t, Timestamp now) {
  TaskError e = TaskError::make("Cancelled", "cancelled before it ran", now, false);
  e.retry_count = t.error ? t.error->retry_count + 1 : 0;
  return TaskResult{t.id,       TaskStatus::CANCELLED, std::nullopt, e, now,
                    t.attempts, t.last_attempt_at};
}

}  // namespace omniq
