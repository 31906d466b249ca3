#include "engine/policy.hpp"

#include <algorithm>
#include <cmath>

#include "base/cron.hpp"
#include "storage/storage_rules.hpp"

namespace omniq {
namespace {

using Kind = Happening::Kind;

Outcome base(const Task& claimed, TaskStatus status, Timestamp now) {
  Outcome o;
  o.task_id = claimed.id;
  o.attempt = claimed.attempts;
  o.status = status;
  o.at = now;
  return o;
}

TaskResult result(const Task& claimed, TaskStatus status, Timestamp now) {
  return TaskResult{claimed.id, status,           std::nullopt,           std::nullopt,
                    now,        claimed.attempts, claimed.last_attempt_at};
}

// The status of a task waiting to run again.
TaskStatus waiting_status(const Settings& s) {
  return s.compat == Compat::original ? TaskStatus::PENDING : TaskStatus::RETRYING;
}

Outcome cancelled(const Task& claimed, Timestamp now, bool started) {
  Outcome o = base(claimed, TaskStatus::CANCELLED, now);
  TaskError e = TaskError::make(
      "Cancelled", started ? "cancelled while running" : "cancelled before it ran", now, false);
  e.retry_count = claimed.error ? claimed.error->retry_count + 1 : 0;
  o.error = e;
  o.result = result(claimed, TaskStatus::CANCELLED, now);
  o.result->error = e;
  return o;
}

TaskError failure_error(const Task& claimed, Happening& what, Timestamp now) {
  TaskError e;
  switch (what.kind) {
    case Kind::timed_out:
      e = TaskError::make("TimeoutError",
                          "attempt " + std::to_string(claimed.attempts) + " ran longer than its " +
                              format_duration(claimed.timeout.value_or(Duration{})) + " timeout",
                          now);
      break;
    case Kind::worker_lost:
      e = TaskError::make("WorkerLost",
                          "the worker running attempt " + std::to_string(claimed.attempts) +
                              " stopped renewing its lease (it crashed or was killed)",
                          now);
      break;
    default:
      e = what.error.value_or(TaskError::make("unknown", "no error given", now));
      e.timestamp = now;
      break;
  }
  e.retry_count = claimed.error ? claimed.error->retry_count + 1 : 0;
  return e;
}

}  // namespace

Duration retry_delay(int n, const Settings& s) {
  double delay =
      static_cast<double>(s.retry_backoff_base.count()) * std::pow(2.0, std::max(0, n - 1));
  return Duration{static_cast<Duration::rep>(
      std::min(delay, static_cast<double>(s.retry_backoff_max.count())))};
}

Timestamp next_run(const Schedule& schedule, Timestamp now) {
  if (schedule.cron) return Cron::parse(*schedule.cron).next(now, schedule.timezone.value_or(""));
  return now + schedule.interval.value_or(Duration{});
}

Outcome decide(const Task& claimed, Happening what, Timestamp now, const Settings& s,
               double jitter) {
  if (claimed.cancel_requested || what.kind == Kind::cancelled) {
    return cancelled(claimed, now, what.kind != Kind::released);
  }
  if (what.kind == Kind::released) {
    Outcome o = base(claimed, claimed.error ? waiting_status(s) : TaskStatus::PENDING, now);
    o.next_eta = due_time(claimed);
    o.error = claimed.error;
    return o;
  }
  bool repeats = claimed.schedule.repeats();
  if (what.kind == Kind::succeeded) {
    Outcome o = base(claimed, repeats ? TaskStatus::PENDING : TaskStatus::SUCCESS, now);
    o.result = result(claimed, TaskStatus::SUCCESS, now);
    o.result->result = std::move(what.value);
    if (repeats) {
      o.next_eta = next_run(claimed.schedule, now);
    } else {
      o.error = claimed.error;
    }
    return o;
  }
  TaskError e = failure_error(claimed, what, now);
  Outcome o = base(claimed, TaskStatus::FAILED, now);
  o.lease_expired = what.kind == Kind::worker_lost;
  if (e.is_retryable && e.retry_count < claimed.max_retries) {
    Duration delay = retry_delay(e.retry_count + 1, s);
    delay =
        std::min(Duration{static_cast<Duration::rep>(static_cast<double>(delay.count()) * jitter)},
                 s.retry_backoff_max);
    o.status = waiting_status(s);
    o.next_eta = now + delay;
    o.error = std::move(e);
    return o;
  }
  o.result = result(claimed, TaskStatus::FAILED, now);
  o.result->error = e;
  if (repeats) {
    o.status = TaskStatus::PENDING;
    o.next_eta = next_run(claimed.schedule, now);
  } else {
    o.error = std::move(e);
  }
  return o;
}

}  // namespace omniq
