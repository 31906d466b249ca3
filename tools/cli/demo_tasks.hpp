// The demo's tasks: handlers that stand in for real work, and the mix of
// tasks `omniq demo` enqueues.
//
// Outcomes are deterministic: the flaky upload fails while the attempt
// number is at most its failure count, the CSV import always fails, and the
// work times are fixed per argument.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "omniq/registry.hpp"

namespace omniq::cli {

inline constexpr const char* kDemoPrefix = "demo.";
inline constexpr const char* kDemoHeartbeat = "demo.heartbeat";

struct DemoState {
  std::atomic<int> heartbeats{0};
};

// One task of the mix.
struct DemoTask {
  std::string func_path;
  Value args;
  TaskOptions options;
};

// The demo's handlers; they count heartbeats in `state`.
Registry demo_registry(std::shared_ptr<DemoState> state);

// The mix: quick tasks, flaky ones that succeed on a retry, one that fails
// for good, a few scheduled seconds ahead, and one interval task (last).
std::vector<DemoTask> demo_plan();

}  // namespace omniq::cli
