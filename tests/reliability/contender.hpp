// One participant of the contention test, shared by the test's threads and the
// worker program's processes: it enqueues its tasks (alternately a batch of
// three and a single task) while claiming and finishing whatever is due, and
// returns once `total` tasks are SUCCESS. Every claim is reported to
// `on_claim` before the claim is finished. Any error escapes as an exception.
#pragma once

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "base/task_rules.hpp"
#include "omniq/settings.hpp"
#include "omniq/storage.hpp"
#include "support/store_calls.hpp"

namespace omniq::reliability {

inline void contend(Storage& store, int id, int tasks, std::size_t total,
                    const std::function<void(const std::string&)>& on_claim) {
  using namespace std::chrono;
  Settings settings;
  int enqueued = 0;
  for (;;) {
    if (enqueued < tasks) {
      int n = std::min(tasks - enqueued, enqueued % 2 == 0 ? 3 : 1);
      std::vector<Task> batch;
      for (int i = 0; i < n; ++i) {
        batch.push_back(make_task("contend", Value::array({id, enqueued + i}), {}, settings,
                                  system_clock()->now()));
      }
      if (n == 1) {
        enqueue(store, batch.front());
      } else {
        enqueue_many(store, batch);
      }
      enqueued += n;
    }
    Timestamp now = system_clock()->now();
    std::vector<Task> claimed = claim(store, now, 8, minutes(10));
    std::vector<Outcome> outcomes;
    for (const Task& t : claimed) {
      on_claim(t.id);
      Outcome o;
      o.task_id = t.id;
      o.attempt = t.attempts;
      o.status = TaskStatus::SUCCESS;
      o.at = now;
      o.result = TaskResult{t.id, TaskStatus::SUCCESS, Value(id), {}, now, t.attempts, now};
      outcomes.push_back(std::move(o));
    }
    if (!outcomes.empty()) {
      for (Applied applied : finish(store, std::move(outcomes))) {
        if (applied != Applied::yes) {
          throw std::runtime_error("a task claimed here could not be finished");
        }
      }
    }
    if (claimed.empty() && enqueued == tasks) {
      if (store.stats().count(TaskStatus::SUCCESS) >= total) return;
      std::this_thread::sleep_for(milliseconds(1));
    }
  }
}

}  // namespace omniq::reliability
