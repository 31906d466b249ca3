// Attempt: one execution of one claimed task, from start until its handler
// returns, throws, times out, is stopped, or is abandoned. Internal.
//
// An Attempt runs its handler (on the event loop for async handlers, on
// SyncThreads for sync ones) and completes exactly once; whoever completes it
// first wins: the handler, the timeout watchdog, or a stop. It only reports
// what happened; the queue decides what that means for the task.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/steady_timer.hpp>

#include "engine/sync_threads.hpp"
#include "omniq/registry.hpp"

namespace omniq {

// Why an attempt was asked to stop before it finished.
enum class StopReason { none, timeout, cancel, shutdown, lost };

struct AttemptResult {
  enum class Kind {
    success,    // `value` holds the handler's result
    failure,    // `error` holds what the handler threw
    timeout,    // ran past its timeout
    cancelled,  // stopped because the task was cancelled
    shutdown,   // stopped because the worker is shutting down
    lost,       // stopped because the lease was lost; nothing may be recorded
  };
  Kind kind = Kind::success;
  Value value{};
  std::optional<TaskError> error{};
  bool abandoned = false;  // the handler never returned; its thread runs on alone
};

class Attempt : public std::enable_shared_from_this<Attempt> {
 public:
  Attempt(Task task, std::shared_ptr<const Handler> handler, asio::any_io_executor executor,
          Duration timeout_grace);

  const Task& task() const { return task_; }
  StopReason stop_reason() const { return reason_; }

  // Runs the handler and returns how the attempt ended. Called once.
  asio::awaitable<AttemptResult> run(SyncThreads& threads);

  // Asks the handler to stop (stop token; an async handler is cancelled). A
  // sync handler that does not return within timeout_grace is abandoned: the
  // attempt completes without it. Safe to call more than once; the first
  // reason is kept. Call on the executor.
  void stop(StopReason reason);

  // True once a sync handler was abandoned (its thread is still busy).
  bool abandoned() const;

 private:
  void complete(AttemptResult r);
  AttemptResult from_exception(std::exception_ptr e) const;
  AttemptResult for_stop() const;
  void start_sync(SyncThreads& threads);
  void start_async();

  Task task_;
  std::shared_ptr<const Handler> handler_;
  asio::any_io_executor executor_;
  Duration timeout_grace_;
  std::stop_source stop_source_;
  TaskContext context_;
  StopReason reason_ = StopReason::none;
  // Event-loop objects, released when run() returns: an abandoned attempt
  // lives on in its thread and may outlive the event loop.
  std::unique_ptr<asio::steady_timer> timeout_timer_;
  std::unique_ptr<asio::steady_timer> grace_timer_;
  asio::cancellation_signal cancel_async_;

  mutable std::mutex mu_;
  std::optional<AttemptResult> result_;
  std::function<void(std::exception_ptr, AttemptResult)> waiter_;
  bool abandoned_ = false;
};

}  // namespace omniq
