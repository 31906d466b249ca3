// One-call writes to a Storage for tests: each is a WriteBatch holding only
// new tasks, only a claim or only outcomes, passed to write().
//
// They are in namespace omniq, next to Storage, so that argument-dependent
// lookup finds them from every test namespace. Where a fixture has a member of
// the same name (StorageConformance::claim and ::finish), call them as
// omniq::claim and omniq::finish.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "omniq/storage.hpp"

namespace omniq {

// Stores new tasks; returns what became of each (see Storage::write).
inline std::vector<Enqueued> enqueue_many(Storage& store, std::span<const Task> tasks) {
  WriteBatch b;
  b.enqueue.assign(tasks.begin(), tasks.end());
  return store.write(b).enqueued;
}

// Stores one new task.
inline Enqueued enqueue(Storage& store, const Task& task) {
  return enqueue_many(store, {&task, 1}).front();
}

// Claims up to `n` due tasks of `queue` at `now`, leased for `lease`.
inline std::vector<Task> claim(Storage& store, Timestamp now, std::size_t n, Duration lease,
                               std::string queue = "default") {
  WriteBatch b;
  b.claims.push_back({std::move(queue), n});
  b.now = now;
  b.lease = lease;
  return store.write(b).claimed;
}

// Applies outcomes; returns what became of each.
inline std::vector<Applied> finish(Storage& store, std::vector<Outcome> outcomes) {
  WriteBatch b;
  b.outcomes = std::move(outcomes);
  return store.write(b).applied;
}

}  // namespace omniq
