// DrainRun: a WorkerPool on an OmniQ, and a count of the outcomes it records,
// so a bench phase can time "start the pool, wait until N results are
// stored". Outcomes are counted through WorkerOptions::on_attempt, which the
// pool calls once the store has durably applied each one.
//
//   DrainRun run(oq, noop_registry(kind), worker_options(o));
//   run.start();
//   double s = run.wait_for(n);   // seconds from start() to the n-th outcome
//   run.stop();
//
// Thread-safety: start/wait_for/stop from one thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>

#include "measure.hpp"
#include "omniq/omniq.hpp"

namespace omniq::cli::bench {

class DrainRun {
 public:
  DrainRun(OmniQ& oq, Registry registry, WorkerOptions options);
  ~DrainRun();  // stop()
  DrainRun(const DrainRun&) = delete;
  DrainRun& operator=(const DrainRun&) = delete;

  void start();
  // Waits until `n` outcomes are recorded and returns the seconds since
  // start(). Throws std::runtime_error when no outcome arrives for
  // `stall` seconds (something is broken; a bench must not hang).
  double wait_for(std::size_t n, double stall = 60.0);
  // Stops the pool (gives back claimed tasks that have not started).
  void stop();

  // Outcomes recorded so far (for a progress display).
  const std::atomic<std::size_t>& finished() const { return finished_; }
  WorkerStats stats() const { return pool_.stats(); }

 private:
  void count();

  std::atomic<std::size_t> finished_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<std::size_t> wanted_{static_cast<std::size_t>(-1)};
  SteadyClock::time_point started_{};
  std::optional<SteadyClock::time_point> reached_;
  bool stopped_ = false;
  WorkerPool pool_;  // last: its threads call count() until it is stopped
};

}  // namespace omniq::cli::bench
