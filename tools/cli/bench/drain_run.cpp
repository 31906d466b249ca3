#include "drain_run.hpp"

#include <stdexcept>
#include <string>

namespace omniq::cli::bench {

namespace {

WorkerOptions counting(WorkerOptions options, DrainRun* run, void (DrainRun::*count)()) {
  options.on_attempt = [run, count](const AttemptReport&) { (run->*count)(); };
  return options;
}

}  // namespace

DrainRun::DrainRun(OmniQ& oq, Registry registry, WorkerOptions options)
    : pool_(oq.worker(std::move(registry), counting(std::move(options), this, &DrainRun::count))) {}

DrainRun::~DrainRun() {
  stop();
}

void DrainRun::count() {
  std::size_t n = finished_.fetch_add(1, std::memory_order_acq_rel) + 1;
  if (n < wanted_.load(std::memory_order_acquire)) return;
  std::lock_guard lock(mu_);
  if (!reached_ && n >= wanted_.load(std::memory_order_acquire)) reached_ = SteadyClock::now();
  cv_.notify_all();
}

void DrainRun::start() {
  started_ = SteadyClock::now();
  pool_.start();
}

double DrainRun::wait_for(std::size_t n, double stall) {
  std::unique_lock lock(mu_);
  reached_.reset();
  wanted_.store(n, std::memory_order_release);
  if (finished_.load() >= n) return seconds_since(started_);
  std::size_t seen = finished_.load();
  for (;;) {
    bool woke = cv_.wait_for(lock, std::chrono::duration<double>(stall),
                             [&] { return reached_ || finished_.load() >= n; });
    if (woke) break;
    std::size_t now = finished_.load();
    if (now == seen) {
      throw std::runtime_error("the worker pool recorded no outcome for " +
                               std::to_string(static_cast<int>(stall)) + " s (" +
                               std::to_string(now) + " of " + std::to_string(n) + " done)");
    }
    seen = now;
  }
  auto at = reached_.value_or(SteadyClock::now());
  return std::chrono::duration<double>(at - started_).count();
}

void DrainRun::stop() {
  if (stopped_) return;
  stopped_ = true;
  pool_.stop();
}

}  // namespace omniq::cli::bench
