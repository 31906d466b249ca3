// The policy: what each thing that can happen to a claimed attempt means for
// its task. Internal to the library; the one place that chooses between
// retrying and failing, for handler outcomes, timeouts, a lost worker, a
// cancel and a claim given back unstarted alike.
//
// - Success: SUCCESS with the value stored; a repeating task (interval or
//   cron) is re-armed PENDING for its next run instead, the value stored.
// - Failure, timeout, lost worker: retry n (n = the run's failures so far)
//   after min(base * 2^(n-1), cap) with the given jitter (RETRYING, or
//   PENDING under Compat::original) while the error is retryable and n <=
//   max_retries; else FAILED with the TaskError stored; a repeating task is
//   re-armed for its next run instead, its failure stored.
// - A cancel, or anything at all once a cancel was requested: CANCELLED.
// - Given back unstarted: waiting again as it was (the claim still counts
//   in attempts, so that (id, attempt) names one claim for good).
//
// Pure functions: no clock, no randomness (the jitter is an argument).
#pragma once

#include <optional>

#include "omniq/settings.hpp"
#include "omniq/storage.hpp"

namespace omniq {

struct Happening {
  enum class Kind { succeeded, failed, timed_out, worker_lost, cancelled, released };
  Kind kind = Kind::succeeded;
  Value value{};                     // succeeded
  std::optional<TaskError> error{};  // failed: what the handler threw
};

// The outcome recording `what` for the claimed task at `now`; `jitter` is a
// factor in [0.75, 1.25] applied to a retry's backoff.
Outcome decide(const Task& claimed, Happening what, Timestamp now, const Settings& settings,
               double jitter);

// The backoff before retry n (n >= 1) without jitter: min(base * 2^(n-1), cap).
Duration retry_delay(int n, const Settings& settings);

// When a repeating task runs next after a run that ended at `now`.
Timestamp next_run(const Schedule& schedule, Timestamp now);

}  // namespace omniq
