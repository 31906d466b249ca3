// PoolCore: the worker pool behind WorkerPool and AsyncWorkerPool. Internal.
//
// Slots. Each served queue has `limit` slots; a task holds one from its
// claim until its outcome is written. Claims ask for free slots only
// (limit + prefetch - held), so a pool never holds more than that.
//
// Who claims. A slot whose task ends records the outcome and claims one task
// for itself in one write (TaskQueue::record): a plain handler's thread does
// it on its own thread and runs what it got at once if it is a plain
// handler too, so a stream of short tasks costs no thread hand-off per task;
// a coroutine handler does it from the executor. The claim loop (a coroutine)
// claims when slots are free and nobody is refilling them: at start, when a
// task is enqueued in this process, when the store's change watch fires
// (another process wrote), when the next eta comes, every poll_interval.
//
// Upkeep (pool_upkeep.cpp): lease renewal and the worker heartbeat, timeouts
// and abandonment of stuck plain handlers, recovery and purges, stopping.
//
// Thread-safety: the state below is guarded by mu_; timers and coroutines
// run on strand_.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>

#include "engine/on_storage.hpp"
#include "engine/task_queue.hpp"
#include "omniq/omniq.hpp"

namespace omniq::detail {

enum class StopReason { none, timeout, cancel, shutdown, lost };

// co_await that returns the error code instead of throwing.
inline constexpr auto kWait = asio::experimental::as_tuple(asio::use_awaitable);

inline std::chrono::steady_clock::duration steady(Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
}

// The message of a stored exception, for the log.
inline std::string what_of(std::exception_ptr e) {
  return TaskError::from_exception(std::move(e), Timestamp{}).message;
}

// One claimed task while it runs (under PoolCore::mu_, except the handler's
// own use of `task` and `context`).
struct Running {
  Running(Task t, std::shared_ptr<const Handler> h)
      : task(std::move(t)), handler(std::move(h)), context(task, stop.get_token()) {}
  Task task;
  std::shared_ptr<const Handler> handler;
  std::stop_source stop;
  TaskContext context;
  StopReason reason = StopReason::none;
  bool done = false;       // the handler returned (or the attempt was abandoned)
  bool abandoned = false;  // a plain handler left running past its grace
  std::chrono::steady_clock::time_point started{}, deadline{}, grace{};
  Timestamp started_at{};
  asio::cancellation_signal cancel;  // coroutine handlers, emitted on the strand
};

class PoolCore : public std::enable_shared_from_this<PoolCore> {
 public:
  PoolCore(std::shared_ptr<TaskQueue> queue, Registry registry, WorkerOptions options,
           asio::any_io_executor executor);

  void start();
  asio::awaitable<void> run();
  asio::awaitable<void> stop();
  void request_stop();
  WorkerStats stats() const;

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  struct Slots {
    std::size_t limit = 0;
    std::size_t held = 0;  // running, or outcome being written
    std::size_t claiming = 0;
    std::deque<Task> buffer;  // claimed ahead, not started
  };

  // Claiming and running (pool_core.cpp).
  asio::awaitable<void> claim_loop();
  asio::awaitable<void> idle_wait(bool starving);
  // REQUIRES: mu_ held. Starts or buffers claimed tasks; returns the first
  // plain-handler task when `keep_one` (for the calling thread to run).
  std::shared_ptr<Running> dispatch_locked(std::vector<Task>& tasks, bool keep_one);
  std::shared_ptr<Running> begin_locked(Task t);
  void thread_main();
  // Runs r's plain handler and records it; returns the next task this thread
  // runs. `ours` turns false when the attempt was abandoned meanwhile.
  std::shared_ptr<Running> run_sync(std::shared_ptr<Running> r, bool& ours);
  asio::awaitable<void> run_async(std::shared_ptr<Running> r);
  // The handler returned (value or error): what to record.
  std::optional<Happening> ended(Running& r, Value value, std::exception_ptr error);
  // REQUIRES: mu_ held. Frees r's slot and returns the claim that refills
  // it; counts a record in flight until after_record.
  std::vector<QueueClaim> release_slot_locked(const Running& r);
  // After a record (`error` if its write failed; `lost`: r's outcome was not
  // in it): counts, dispatches what was claimed, reports. `seen` is changes_
  // as it was before the record's claim was made.
  std::shared_ptr<Running> after_record(const Running& r, bool lost, std::exception_ptr error,
                                        TaskQueue::Recorded rec,
                                        const std::vector<QueueClaim>& claims, bool keep_one,
                                        std::uint64_t seen);
  // Claims for every free slot, from any thread, and dispatches what comes
  // back from the thread that wrote it. Returns at once.
  void claim_free_slots();
  // What to do after a write that claimed for free slots.
  enum class AfterClaim { done, again, wait };
  // REQUIRES: mu_ held. Counts the write's claims (`got` of `claims` came
  // back): claim again at once if it came back short but work came since
  // `seen`; wait for a change if short, or (backing off) if the write failed.
  AfterClaim claimed_locked(const std::vector<QueueClaim>& claims, std::size_t got, bool failed,
                            std::uint64_t seen);
  void after_claim(AfterClaim next);
  // While stopping: gives back what was claimed and not started.
  void give_back_if_stopping();
  // Records r's end with the claims release_slot_locked(*r) gave: `wait`
  // returns this thread's next task; otherwise the writer dispatches.
  std::shared_ptr<Running> record(std::shared_ptr<Running> r, std::optional<Happening> h,
                                  std::vector<QueueClaim> claims, bool wait);
  // Wakes the claim loop; with `claim`, it claims once more.
  void wake(bool claim = true);
  // Arms a wait on the store's change watch (strand).
  void watch_changes();

  // Upkeep (pool_upkeep.cpp).
  asio::awaitable<void> heartbeat_loop();
  asio::awaitable<void> monitor_loop();
  asio::awaitable<void> maintenance_loop();
  asio::awaitable<void> shut_down();
  // REQUIRES: mu_ held.
  void stop_locked(const std::shared_ptr<Running>& r, StopReason reason);
  void kick_monitor(SteadyTime when);
  // The upkeep loops' sleep: cancelled by the stop, and none once stopped.
  asio::awaitable<void> sleep_until(SteadyTime when);
  // A plain wait, for the stop's own polling.
  asio::awaitable<void> nap(SteadyTime when);

  std::shared_ptr<TaskQueue> queue_;
  Registry registry_;
  WorkerOptions opt_;
  asio::strand<asio::any_io_executor> strand_;
  std::size_t thread_limit_ = 0;  // sum of the slots

  mutable std::mutex mu_;
  std::map<std::string, Slots> slots_;
  std::map<std::string, std::shared_ptr<Running>> running_;
  std::deque<std::shared_ptr<Running>> sync_work_;
  std::condition_variable work_cv_;
  std::size_t threads_ = 0, idle_threads_ = 0, abandoned_ = 0;
  std::size_t records_ = 0;  // outcomes or claims being written
  bool stopping_ = false, threads_exit_ = false, cap_logged_ = false;
  bool starving_ = false;  // the last claim came back short: slots wait for new work
  int failures_ = 0;       // claims failed in a row
  // Counts enqueues in this process and changes another process made (the
  // watch): a claim that comes back short is made again if this moved meanwhile.
  std::atomic<std::uint64_t> changes_{0};
  SteadyTime monitor_at_ = SteadyTime::max();  // when monitor_loop wakes next
  WorkerStats stats_;

  // Strand-only.
  bool started_ = false, stopped_ = false, wake_pending_ = false, claim_wanted_ = false;
  std::size_t loops_ = 0;
  asio::steady_timer wake_timer_, monitor_timer_;
  std::vector<asio::steady_timer*> sleepers_;  // in sleep_until
  std::size_t listener_ = 0;
  std::unique_ptr<ChangeWatch> watch_;
  std::unique_ptr<asio::posix::stream_descriptor> watch_fd_;
  bool watching_ = false;
};

}  // namespace omniq::detail
