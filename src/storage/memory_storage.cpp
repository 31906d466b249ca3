#include "omniq/memory_storage.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <tuple>

#include "omniq/error.hpp"
#include "storage_rules.hpp"

namespace omniq {

struct MemoryStorage::Impl {
  struct Entry {
    Task task;
    std::uint64_t seq = 0;  // enqueue order
    bool cancel_requested = false;
  };
  using DueKey = std::tuple<Timestamp, std::uint64_t, std::string>;  // due time, seq, id
  using LeaseKey = std::pair<Timestamp, std::string>;

  std::mutex mu;
  bool closed = false;
  std::uint64_t next_seq = 0;
  std::map<std::string, Entry, std::less<>> tasks;
  std::map<std::string, TaskResult, std::less<>> results;
  std::set<DueKey> due;       // waiting tasks (PENDING, RETRYING)
  std::set<LeaseKey> leases;  // RUNNING tasks by lease expiry
  std::atomic<std::uint64_t> changes{0};

  void check_open() const {
    if (closed) throw StorageError("memory store is closed");
  }

  // Index maintenance: call unindex before changing a task, index after.
  void unindex(const Entry& e) {
    const Task& t = e.task;
    if (is_waiting(t.status)) due.erase({due_time(t), e.seq, t.id});
    if (t.status == TaskStatus::RUNNING && t.lease_expires_at)
      leases.erase({*t.lease_expires_at, t.id});
  }
  void index(const Entry& e) {
    const Task& t = e.task;
    if (is_waiting(t.status)) due.insert({due_time(t), e.seq, t.id});
    if (t.status == TaskStatus::RUNNING && t.lease_expires_at)
      leases.insert({*t.lease_expires_at, t.id});
  }

  Entry* find(std::string_view id) {
    validate_id(id);
    auto it = tasks.find(id);
    return it == tasks.end() ? nullptr : &it->second;
  }
  Entry& need(std::string_view id) {
    Entry* e = find(id);
    if (e == nullptr) throw NotFoundError("no task with id " + std::string(id));
    return *e;
  }

  template <class F>
  void update(Entry& e, F&& change) {
    unindex(e);
    change(e.task);
    index(e);
    changes.fetch_add(1, std::memory_order_relaxed);
  }

  void add(const Task& task) {
    validate_task(task);
    if (tasks.count(task.id) != 0) {
      throw ValidationError("a task with id " + task.id + " exists already");
    }
    Entry e{task, next_seq++, false};
    index(e);
    tasks.emplace(task.id, std::move(e));
  }

  Task claim(Entry& e, Timestamp now, Duration lease) {
    update(e, [&](Task& t) { apply_claim(t, now, lease); });
    e.cancel_requested = false;
    return e.task;
  }

  bool current(const Entry* e, int attempt) const {
    return e != nullptr && e->task.status == TaskStatus::RUNNING && e->task.attempts == attempt;
  }
};

MemoryStorage::MemoryStorage() : impl_(std::make_unique<Impl>()) {}
MemoryStorage::~MemoryStorage() = default;

std::string MemoryStorage::enqueue(const Task& task) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  impl_->add(task);
  impl_->changes.fetch_add(1, std::memory_order_relaxed);
  return task.id;
}

std::vector<std::string> MemoryStorage::enqueue_many(std::span<const Task> tasks) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::set<std::string_view> seen;
  for (const Task& t : tasks) {  // all or none: check everything first
    validate_task(t);
    if (impl_->tasks.count(t.id) != 0 || !seen.insert(t.id).second) {
      throw ValidationError("a task with id " + t.id + " exists already");
    }
  }
  std::vector<std::string> ids;
  ids.reserve(tasks.size());
  for (const Task& t : tasks) {
    impl_->add(t);
    ids.push_back(t.id);
  }
  impl_->changes.fetch_add(1, std::memory_order_relaxed);
  return ids;
}

std::vector<Task> MemoryStorage::dequeue_many(Timestamp now, std::size_t n, Duration lease) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::vector<Task> out;
  while (out.size() < n && !impl_->due.empty()) {
    const auto& [when, seq, id] = *impl_->due.begin();
    if (when > now) break;
    out.push_back(impl_->claim(impl_->tasks.find(id)->second, now, lease));
  }
  return out;
}

Task MemoryStorage::mark_running(std::string_view id, Timestamp now, Duration lease) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  auto& e = impl_->need(id);
  if (e.task.status == TaskStatus::RUNNING) return e.task;
  check_transition(e.task.status, TaskStatus::RUNNING);
  return impl_->claim(e, now, lease);
}

std::vector<bool> MemoryStorage::finish_many(std::span<const Outcome> outcomes) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  for (const Outcome& o : outcomes) check_outcome(o);
  std::vector<bool> applied;
  applied.reserve(outcomes.size());
  for (const Outcome& o : outcomes) {
    Impl::Entry* e = impl_->find(o.task_id);
    if (!impl_->current(e, o.attempt)) {
      applied.push_back(false);
      continue;
    }
    impl_->update(*e, [&](Task& t) { apply_outcome(t, o); });
    e->cancel_requested = false;
    if (o.result) impl_->results[o.task_id] = *o.result;
    applied.push_back(true);
  }
  return applied;
}

void MemoryStorage::reschedule(std::string_view id, Timestamp new_eta) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  auto& e = impl_->need(id);
  check_reschedulable(e.task);
  impl_->update(e, [&](Task& t) { t.schedule.eta = new_eta; });
}

CancelResult MemoryStorage::cancel(std::string_view id, Timestamp now) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  auto& e = impl_->need(id);
  if (is_terminal(e.task.status)) return CancelResult::already_finished;
  if (e.task.status == TaskStatus::RUNNING) {
    e.cancel_requested = true;
    impl_->changes.fetch_add(1, std::memory_order_relaxed);
    return CancelResult::requested;
  }
  impl_->update(e, [&](Task& t) { transition(t, TaskStatus::CANCELLED, now); });
  impl_->results[e.task.id] = cancelled_result(e.task, now);
  return CancelResult::cancelled;
}

std::vector<Claim> MemoryStorage::renew_leases(std::span<const Claim> claims, Timestamp until) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::vector<Claim> stop;
  for (const Claim& c : claims) {
    Impl::Entry* e = impl_->find(c.task_id);
    if (!impl_->current(e, c.attempt)) {
      stop.push_back(c);
      continue;
    }
    impl_->update(*e, [&](Task& t) { t.lease_expires_at = until; });
    if (e->cancel_requested) stop.push_back(c);
  }
  return stop;
}

void MemoryStorage::release(std::span<const Claim> claims, Timestamp now) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  for (const Claim& c : claims) {
    Impl::Entry* e = impl_->find(c.task_id);
    if (!impl_->current(e, c.attempt)) continue;
    impl_->update(*e, [&](Task& t) { apply_release(t, now); });
    e->cancel_requested = false;
  }
}

std::optional<Task> MemoryStorage::get_task(std::string_view id) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  auto* e = impl_->find(id);
  if (e == nullptr) return std::nullopt;
  return e->task;
}

std::optional<TaskResult> MemoryStorage::get_result(std::string_view id) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  validate_id(id);
  auto it = impl_->results.find(id);
  if (it == impl_->results.end()) return std::nullopt;
  return it->second;
}

std::vector<Task> MemoryStorage::list_tasks(const TaskFilter& filter) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::vector<const Impl::Entry*> matches;
  for (const auto& [id, e] : impl_->tasks) {
    if (filter.status && e.task.status != *filter.status) continue;
    if (filter.func_path && e.task.func_path != *filter.func_path) continue;
    matches.push_back(&e);
  }
  std::sort(matches.begin(), matches.end(),
            [](const Impl::Entry* a, const Impl::Entry* b) { return a->seq < b->seq; });
  std::vector<Task> out;
  for (std::size_t i = filter.offset; i < matches.size() && out.size() < filter.limit; ++i) {
    out.push_back(matches[i]->task);
  }
  return out;
}

QueueStats MemoryStorage::stats() {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  QueueStats s;
  for (const auto& [id, e] : impl_->tasks) {
    ++s.counts[static_cast<std::size_t>(e.task.status)];
    if (is_waiting(e.task.status) && (!s.oldest_pending || e.task.created_at < *s.oldest_pending)) {
      s.oldest_pending = e.task.created_at;
    }
  }
  return s;
}

std::optional<Timestamp> MemoryStorage::next_eta() {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  if (impl_->due.empty()) return std::nullopt;
  return std::get<0>(*impl_->due.begin());
}

std::size_t MemoryStorage::purge_results(Timestamp older_than) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::size_t purged = std::erase_if(
      impl_->results, [&](const auto& kv) { return kv.second.finished_at < older_than; });
  std::erase_if(impl_->tasks, [&](const auto& kv) {
    const Task& t = kv.second.task;
    return is_terminal(t.status) && t.updated_at < older_than && !impl_->results.count(t.id);
  });
  if (purged > 0) impl_->changes.fetch_add(1, std::memory_order_relaxed);
  return purged;
}

std::size_t MemoryStorage::recover_expired(Timestamp now) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::size_t recovered = 0;
  while (!impl_->leases.empty() && impl_->leases.begin()->first < now) {
    auto& e = impl_->tasks.find(impl_->leases.begin()->second)->second;
    std::optional<TaskResult> result;
    impl_->update(e, [&](Task& t) { result = apply_recovery(t, now); });
    e.cancel_requested = false;
    if (result) impl_->results[e.task.id] = *result;
    ++recovered;
  }
  return recovered;
}

std::uint64_t MemoryStorage::change_counter() {
  return impl_->changes.load(std::memory_order_relaxed);
}

void MemoryStorage::close() {
  std::lock_guard lock(impl_->mu);
  impl_->closed = true;
}

}  // namespace omniq
