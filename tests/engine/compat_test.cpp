// OMNIQ_COMPAT=original: omniq writes only the statuses the original library
// knows (no RETRYING), so both can work on one SQLite file during a migration.
#include <mutex>
#include <set>

#include "engine/engine_fixture.hpp"
#include "support/forwarding_storage.hpp"

namespace omniq::testing {
namespace {

// Records every status the engine writes.
class StatusRecorder final : public ForwardingStorage {
 public:
  using ForwardingStorage::ForwardingStorage;
  WriteResult write(const WriteBatch& b) override {
    {
      std::lock_guard lock(mu_);
      for (const Task& t : b.enqueue) written_.insert(t.status);
      for (const Outcome& o : b.outcomes) written_.insert(o.status);
      if (!b.claims.empty()) written_.insert(TaskStatus::RUNNING);
    }
    return inner_->write(b);
  }
  std::set<TaskStatus> written() {
    std::lock_guard lock(mu_);
    return written_;
  }

 private:
  std::mutex mu_;
  std::set<TaskStatus> written_;
};

class CompatOriginal : public ::testing::TestWithParam<BackendFactory> {};

TEST_P(CompatOriginal, OnlyTheOriginalsStatusesAreWritten) {
  TempDir dir;
  auto recorder = std::make_shared<StatusRecorder>(GetParam().open(dir.path()));
  Settings settings;
  settings.compat = Compat::original;
  settings.log_level = LogLevel::error;
  settings.retry_backoff_base = milliseconds(1);
  settings.retry_backoff_max = milliseconds(1);
  auto clock = std::make_shared<ManualClock>(kStart);
  OmniQ oq(recorder, settings, clock);
  Registry r;
  std::atomic<int> calls{0};
  r.add("flaky", [&]() -> int {
    if (++calls % 3 != 0) throw std::runtime_error("not yet");
    return 1;
  });
  r.add("doomed", []() -> int { throw std::runtime_error("never"); });
  WorkerPool pool = oq.worker(std::move(r), fast_options(2));
  pool.start();
  std::string flaky = oq.enqueue("flaky", Value::array(), {.max_retries = 5});
  std::string doomed = oq.enqueue("doomed", Value::array(), {.max_retries = 2});
  // Retries wait for their (1 ms) backoff on the manual clock.
  ASSERT_TRUE(eventually([&] {
    clock->advance(milliseconds(5));
    auto a = oq.get_result(flaky), b = oq.get_result(doomed);
    return a && b;
  }));
  EXPECT_EQ(oq.get_result(flaky)->status, TaskStatus::SUCCESS);
  TaskResult failed = *oq.get_result(doomed);
  EXPECT_EQ(failed.status, TaskStatus::FAILED);
  EXPECT_EQ(failed.attempts, 3);
  EXPECT_EQ(failed.error->retry_count, 2);
  pool.stop();
  std::set<TaskStatus> original{TaskStatus::PENDING, TaskStatus::RUNNING, TaskStatus::SUCCESS,
                                TaskStatus::FAILED, TaskStatus::CANCELLED};
  for (TaskStatus s : recorder->written()) {
    EXPECT_TRUE(original.count(s)) << "wrote " << to_string(s);
  }
  EXPECT_TRUE(recorder->written().count(TaskStatus::PENDING));  // the retries
  EXPECT_EQ(oq.stats().count(TaskStatus::RETRYING), 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, CompatOriginal, ::testing::ValuesIn(all_backends()),
                         backend_name);

}  // namespace
}  // namespace omniq::testing
