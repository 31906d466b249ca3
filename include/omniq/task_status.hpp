// TaskStatus and the one table of allowed status changes.
//
//   PENDING  -> RUNNING, CANCELLED
//   RUNNING  -> SUCCESS, FAILED, RETRYING, CANCELLED, PENDING
//   RETRYING -> RUNNING, CANCELLED
//   SUCCESS, FAILED, CANCELLED: terminal
//
// A move to the same status is always allowed (a no-op). The upper-case names
// are the wire form, in every store and serializer.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace omniq {

enum class TaskStatus : std::uint8_t {
  // Waiting to run. Enqueue creates a task here; an interval task returns here
  // after each successful run, and a task whose worker died (lease expired)
  // returns here or to RETRYING. Leaves by a worker's claim or by cancel.
  PENDING,
  // Claimed by a worker, which holds a lease on it. Leaves when the queue
  // records the attempt's outcome, or when the lease expires and the store's
  // recover_expired gives it back.
  RUNNING,
  // Terminal: the handler returned; its value is stored as the result.
  SUCCESS,
  // Terminal: the last allowed attempt failed, or the failure was not
  // retryable; the TaskError is stored with the result.
  FAILED,
  // An attempt failed and retries remain; the queue set an eta after the
  // backoff delay. Leaves by a worker's claim once due, or by cancel.
  RETRYING,
  // Terminal: cancelled before it ran, or stopped while running.
  CANCELLED,
};

inline constexpr std::array<TaskStatus, 6> kAllStatuses = {
    TaskStatus::PENDING, TaskStatus::RUNNING,  TaskStatus::SUCCESS,
    TaskStatus::FAILED,  TaskStatus::RETRYING, TaskStatus::CANCELLED};

// The wire name: "PENDING", "RUNNING", ...
std::string_view to_string(TaskStatus s);

// True for SUCCESS, FAILED and CANCELLED.
bool is_terminal(TaskStatus s);

}  // namespace omniq
