// The storage conformance suite's fixture: every TEST_P in tests/storage/
// conformance_*_test.cpp runs unchanged against every backend.
#pragma once

#include <gtest/gtest.h>

#include "omniq/error.hpp"
#include "omniq/settings.hpp"
#include "support/backends.hpp"
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
  std::string put(Task t) { return store().enqueue(t); }

  Task claim_one(Timestamp now = kT0) {
    auto t = store().dequeue(now, kLease);
    if (!t) throw std::runtime_error("nothing to claim");
    return *t;
  }

  Outcome outcome(const Task& claimed, TaskStatus status, Timestamp at) {
    Outcome o;
    o.task_id = claimed.id;
    o.attempt = claimed.attempts;
    o.status = status;
    o.at = at;
    return o;
  }
  bool finish(const Outcome& o) { return store().finish_many({&o, 1}).front(); }

  Task get(const std::string& id) {
    auto t = store().get_task(id);
    if (!t) throw std::runtime_error("task vanished: " + id);
    return *t;
  }

  TempDir dir_;
  std::shared_ptr<Storage> store_;
};

}  // namespace omniq::testing
