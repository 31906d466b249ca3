// The storage conformance suite's fixture: every TEST_P in tests/storage/
// conformance_*_test.cpp runs unchanged against every backend.
#pragma once

#include <gtest/gtest.h>

#include "base/task_rules.hpp"
#include "omniq/error.hpp"
#include "omniq/settings.hpp"
#include "support/backends.hpp"
#include "support/store_calls.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {

using namespace std::chrono;

inline const Timestamp kT0 = sys_days{2026y / November / 26} + 6h;
inline constexpr Duration kLease = seconds(30);

class StorageConformance : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override { store_ = GetParam().open(dir_.path()); }
  void TearDown() override {
    if (store_) store_->close();
  }

  Storage& store() { return *store_; }

  // A valid PENDING task created at kT0 + created_offset.
  Task make(std::string func = "job", Duration created_offset = {}, int max_retries = 3) {
    Task t =
        make_task(std::move(func), Value::array({1, "a"}), {}, Settings{}, kT0 + created_offset);
    t.max_retries = max_retries;
    return t;
  }
  Task make_at(Timestamp eta, std::string func = "job") {
    Task t = make(std::move(func));
    t.schedule.eta = eta;
    return t;
  }
  std::string put(const Task& t) { return enqueue(store(), t).id; }

  std::vector<Task> claim(Timestamp now, std::size_t n = 1, std::string queue = "default") {
    return omniq::claim(store(), now, n, kLease, std::move(queue));
  }
  Task claim_one(Timestamp now = kT0, std::string queue = "default") {
    auto t = claim(now, 1, std::move(queue));
    if (t.empty()) throw std::runtime_error("nothing to claim");
    return t.front();
  }

  Outcome outcome(const Task& claimed, TaskStatus status, Timestamp at) {
    Outcome o;
    o.task_id = claimed.id;
    o.attempt = claimed.attempts;
    o.status = status;
    o.at = at;
    return o;
  }
  Applied finish(const Outcome& o) { return omniq::finish(store(), {o}).front(); }
  TaskResult result(const Task& claimed, TaskStatus status, Timestamp at,
                    std::optional<Value> value = std::nullopt) {
    return TaskResult{claimed.id, status,           std::move(value),       std::nullopt,
                      at,         claimed.attempts, claimed.last_attempt_at};
  }
  // A SUCCESS outcome with `value` stored.
  Outcome done(const Task& claimed, Value value, Timestamp at) {
    Outcome o = outcome(claimed, TaskStatus::SUCCESS, at);
    o.result = result(claimed, TaskStatus::SUCCESS, at, std::move(value));
    return o;
  }
  // A FAILED outcome with its error stored.
  Outcome failed(const Task& claimed, Timestamp at) {
    Outcome o = outcome(claimed, TaskStatus::FAILED, at);
    o.error = TaskError::make("std::runtime_error", "boom", at);
    o.result = result(claimed, TaskStatus::FAILED, at);
    o.result->error = o.error;
    return o;
  }
  // A RETRYING outcome, due again at `eta`.
  Outcome retrying(const Task& claimed, Timestamp at, Timestamp eta) {
    Outcome o = outcome(claimed, TaskStatus::RETRYING, at);
    o.next_eta = eta;
    o.error = TaskError::make("std::runtime_error", "boom", at);
    return o;
  }

  Task get(const std::string& id) {
    auto t = store().get_task(id);
    if (!t) throw std::runtime_error("task vanished: " + id);
    return *t;
  }

  TempDir dir_;
  std::shared_ptr<Storage> store_;
};

}  // namespace omniq::testing
