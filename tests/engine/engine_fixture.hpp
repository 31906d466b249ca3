// Fixture for engine tests: a queue on a chosen backend with a ManualClock,
// and a blocking OmniQ façade over it.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "engine/task_queue.hpp"
#include "omniq/async.hpp"
#include "support/backends.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {

using namespace std::chrono;

inline const Timestamp kStart = sys_days{2026y / November / 26} + 6h;

// Waits (really) until pred() holds, up to `limit`; returns whether it did.
// Used to wait for work other threads do, never to measure time.
inline bool eventually(const std::function<bool()>& pred, milliseconds limit = seconds(20)) {
  auto end = steady_clock::now() + limit;
  while (steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return pred();
}

// Fast polling for tests: the pool re-checks the store every few milliseconds.
inline WorkerOptions fast_options(std::size_t concurrency = 4) {
  WorkerOptions o;
  o.concurrency = concurrency;
  o.poll_interval = milliseconds(5);
  o.lease = seconds(30);
  o.shutdown_grace = seconds(5);
  o.timeout_grace = milliseconds(200);
  o.maintenance_interval = seconds(60);
  return o;
}

class EngineTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override {
    settings_.retry_backoff_base = seconds(1);
    settings_.retry_backoff_max = seconds(60);
    settings_.default_max_retries = 2;
    settings_.log_level = LogLevel::error;
    oq_ = std::make_unique<OmniQ>(GetParam().open(dir_.path()), settings_, clock_);
  }
  void TearDown() override {
    pool_.reset();
    oq_.reset();
  }

  OmniQ& oq() { return *oq_; }

  WorkerPool& start(Registry registry, WorkerOptions options = fast_options()) {
    pool_ = std::make_unique<WorkerPool>(oq_->worker(std::move(registry), options));
    pool_->start();
    return *pool_;
  }

  TaskStatus status(const std::string& id) { return oq_->get_task(id)->status; }
  bool reaches(const std::string& id, TaskStatus s, milliseconds limit = seconds(20)) {
    return eventually([&] { return status(id) == s; }, limit);
  }
  TaskResult wait_result(const std::string& id) {
    return *oq_->get_result(id, {.wait = true, .timeout = seconds(20)});
  }
  // What another worker's maintenance does at `now`: records the tasks whose
  // lease ran out as lost. Returns how many.
  std::size_t recover_at(Timestamp now) {
    detail::TaskQueue other(oq_->storage(), settings_, std::make_shared<ManualClock>(now));
    return other.recover_expired();
  }

  TempDir dir_;
  Settings settings_;
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>(kStart);
  std::unique_ptr<OmniQ> oq_;
  std::unique_ptr<WorkerPool> pool_;
};

}  // namespace omniq::testing
