// The end of `omniq demo`: what its run did, as a table for people or JSON.
#pragma once

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "omniq/task.hpp"

namespace omniq::cli {

struct DemoOutcome {
  std::string store;
  double elapsed_seconds = 0;
  bool finished = false;                      // every task reached its end within the budget
  std::vector<Task> tasks;                    // this run's tasks, final states, in enqueue order
  std::map<std::string, TaskResult> results;  // by task id
  int heartbeats = 0;                         // runs of the interval task
};

// Counts per status of the run's tasks.
std::map<TaskStatus, std::size_t> count_by_status(const DemoOutcome& o);

void print_demo_summary(std::ostream& out, const DemoOutcome& o);
Value demo_summary_json(const DemoOutcome& o);

}  // namespace omniq::cli
