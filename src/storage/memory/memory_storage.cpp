#include "memory_storage.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <tuple>

#include "omniq/error.hpp"
#include "storage/storage_rules.hpp"

namespace omniq {

struct MemoryStorage::Impl {
  struct Entry {
    Task task;
    std::uint64_t seq = 0;  // enqueue order
  };
  // Claim order within a queue: priority, due time, enqueue order.
  using ClaimKey = std::tuple<int, Timestamp, std::uint64_t, std::string>;
  using DueKey = std::tuple<Timestamp, std::uint64_t, std::string>;
  using LeaseKey = std::pair<Timestamp, std::string>;

  std::mutex mu;
  bool closed = false;
  std::uint64_t next_seq = 0;
  std::map<std::string, Entry, std::less<>> tasks;
  std::map<std::string, TaskResult, std::less<>> results;
  std::map<std::string, std::set<ClaimKey>, std::less<>> waiting;  // by queue
  std::set<DueKey> due;                                            // every waiting task
  std::set<LeaseKey> leases;                                       // RUNNING tasks
  std::map<std::string, std::string, std::less<>> unique;          // key -> holder's id
  std::set<std::string, std::less<>> paused;
  std::map<std::string, WorkerInfo> workers;

  std::unique_lock<std::mutex> enter() {
    std::unique_lock lock(mu);
    if (closed) throw StorageError("memory store is closed");
    return lock;
  }

  // Index maintenance: call unindex before changing a task, index after.
  void unindex(const Entry& e) {
    const Task& t = e.task;
    if (is_waiting(t.status)) {
      waiting[t.queue].erase({t.priority, due_time(t), e.seq, t.id});
      due.erase({due_time(t), e.seq, t.id});
    }
    if (t.status == TaskStatus::RUNNING && t.lease_expires_at) {
      leases.erase({*t.lease_expires_at, t.id});
    }
    if (holds_unique_key(t)) unique.erase(*t.unique_key);
  }
  void index(const Entry& e) {
    const Task& t = e.task;
    if (is_waiting(t.status)) {
      waiting[t.queue].insert({t.priority, due_time(t), e.seq, t.id});
      due.insert({due_time(t), e.seq, t.id});
    }
    if (t.status == TaskStatus::RUNNING && t.lease_expires_at) {
      leases.insert({*t.lease_expires_at, t.id});
    }
    if (holds_unique_key(t)) unique[*t.unique_key] = t.id;
  }
  template <class F>
  void update(Entry& e, F&& change) {
    unindex(e);
    change(e.task);
    index(e);
  }

  Entry* find(std::string_view id) {
    validate_id(id);
    auto it = tasks.find(id);
    return it == tasks.end() ? nullptr : &it->second;
  }

  Enqueued add(const Task& task) {
    if (task.unique_key) {
      auto holder = unique.find(*task.unique_key);
      if (holder != unique.end()) return {holder->second, false};
    }
    Entry e{task, next_seq++};
    index(e);
    tasks.emplace(task.id, std::move(e));
    return {task.id, true};
  }

  std::vector<Task> claim(const QueueClaim& c, Timestamp now, Duration lease) {
    std::vector<Task> out;
    if (paused.count(c.queue) != 0) return out;
    auto q = waiting.find(c.queue);
    if (q == waiting.end()) return out;
    std::vector<std::string> ids;
    for (const auto& [priority, when, seq, id] : q->second) {
      if (ids.size() == c.n) break;
      if (when <= now) ids.push_back(id);
    }
    for (const std::string& id : ids) {
      Entry& e = tasks.find(id)->second;
      update(e, [&](Task& t) { apply_claim(t, now, lease); });
      out.push_back(e.task);
    }
    return out;
  }
};

MemoryStorage::MemoryStorage() : impl_(std::make_unique<Impl>()) {}
MemoryStorage::~MemoryStorage() = default;

WriteResult MemoryStorage::write(const WriteBatch& batch) {
  auto lock = impl_->enter();
  check_batch(batch);
  std::set<std::string_view> ids;
  for (const Task& t : batch.enqueue) {  // all or none: check everything first
    if (impl_->tasks.count(t.id) != 0 || !ids.insert(t.id).second) {
      throw ValidationError("a task with id " + t.id + " exists already");
    }
  }
  WriteResult r;
  for (const Task& t : batch.enqueue) r.enqueued.push_back(impl_->add(t));
  for (const Outcome& o : batch.outcomes) {
    Impl::Entry* e = impl_->find(o.task_id);
    Applied a = e == nullptr ? Applied::not_current : outcome_applies(e->task, o);
    if (a == Applied::yes) {
      impl_->update(*e, [&](Task& t) { apply_outcome(t, o); });
      if (o.result) impl_->results[o.task_id] = *o.result;
    }
    r.applied.push_back(a);
  }
  for (const QueueClaim& c : batch.claims) {
    for (Task& t : impl_->claim(c, batch.now, batch.lease)) r.claimed.push_back(std::move(t));
  }
  return r;
}

CancelResult MemoryStorage::cancel(std::string_view id, Timestamp now) {
  auto lock = impl_->enter();
  Impl::Entry* e = impl_->find(id);
  if (e == nullptr) throw NotFoundError("no task with id " + std::string(id));
  if (is_terminal(e->task.status)) return CancelResult::already_finished;
  if (e->task.status == TaskStatus::RUNNING) {
    e->task.cancel_requested = true;
    return CancelResult::requested;
  }
  impl_->update(*e, [&](Task& t) { transition(t, TaskStatus::CANCELLED, now); });
  impl_->results[e->task.id] = cancelled_result(e->task, now);
  return CancelResult::cancelled;
}

std::vector<Applied> MemoryStorage::renew_leases(std::span<const Claim> claims, Timestamp until) {
  auto lock = impl_->enter();
  std::vector<Applied> out;
  for (const Claim& c : claims) {
    Impl::Entry* e = impl_->find(c.task_id);
    if (e == nullptr || e->task.status != TaskStatus::RUNNING || e->task.attempts != c.attempt) {
      out.push_back(Applied::not_current);
      continue;
    }
    impl_->update(*e, [&](Task& t) { t.lease_expires_at = until; });
    out.push_back(e->task.cancel_requested ? Applied::cancel_requested : Applied::yes);
  }
  return out;
}

std::vector<Task> MemoryStorage::expired(Timestamp now, std::size_t limit) {
  auto lock = impl_->enter();
  std::vector<Task> out;
  for (const auto& [until, id] : impl_->leases) {
    if (until >= now || out.size() == limit) break;
    out.push_back(impl_->tasks.find(id)->second.task);
  }
  return out;
}

std::optional<Task> MemoryStorage::get_task(std::string_view id) {
  auto lock = impl_->enter();
  Impl::Entry* e = impl_->find(id);
  if (e == nullptr) return std::nullopt;
  return e->task;
}

std::optional<TaskResult> MemoryStorage::get_result(std::string_view id) {
  auto lock = impl_->enter();
  validate_id(id);
  auto it = impl_->results.find(id);
  if (it == impl_->results.end()) return std::nullopt;
  return it->second;
}

std::vector<Task> MemoryStorage::list_tasks(const TaskFilter& filter) {
  auto lock = impl_->enter();
  std::vector<const Impl::Entry*> matches;
  for (const auto& [id, e] : impl_->tasks) {
    const Task& t = e.task;
    if ((filter.status && t.status != *filter.status) ||
        (filter.func_path && t.func_path != *filter.func_path) ||
        (filter.queue && t.queue != *filter.queue)) {
      continue;
    }
    matches.push_back(&e);
  }
  std::sort(matches.begin(), matches.end(), [&](const Impl::Entry* a, const Impl::Entry* b) {
    return filter.newest_first ? a->seq > b->seq : a->seq < b->seq;
  });
  std::vector<Task> out;
  for (std::size_t i = filter.offset; i < matches.size() && out.size() < filter.limit; ++i) {
    out.push_back(matches[i]->task);
  }
  return out;
}

QueueStats MemoryStorage::stats() {
  auto lock = impl_->enter();
  QueueStats s;
  for (const auto& [id, e] : impl_->tasks) {
    const Task& t = e.task;
    auto i = static_cast<std::size_t>(t.status);
    ++s.counts[i];
    ++s.queues[t.queue][i];
    if (is_waiting(t.status) && (!s.oldest_pending || t.created_at < *s.oldest_pending)) {
      s.oldest_pending = t.created_at;
    }
  }
  s.paused.assign(impl_->paused.begin(), impl_->paused.end());
  return s;
}

std::optional<Timestamp> MemoryStorage::next_eta() {
  auto lock = impl_->enter();
  if (impl_->due.empty()) return std::nullopt;
  return std::get<0>(*impl_->due.begin());
}

std::size_t MemoryStorage::purge_results(Timestamp older_than) {
  auto lock = impl_->enter();
  std::size_t purged = std::erase_if(
      impl_->results, [&](const auto& kv) { return kv.second.finished_at < older_than; });
  for (auto it = impl_->tasks.begin(); it != impl_->tasks.end();) {
    const Task& t = it->second.task;
    if (is_terminal(t.status) && t.updated_at < older_than && !impl_->results.count(t.id)) {
      impl_->unindex(it->second);
      it = impl_->tasks.erase(it);
    } else {
      ++it;
    }
  }
  return purged;
}

void MemoryStorage::set_paused(std::string_view queue, bool paused) {
  auto lock = impl_->enter();
  validate_name(queue, "queue");
  if (paused) {
    impl_->paused.emplace(queue);
  } else {
    impl_->paused.erase(std::string(queue));
  }
}

std::vector<std::size_t> MemoryStorage::finished_per_minute(Timestamp since, Timestamp until) {
  auto lock = impl_->enter();
  std::vector<std::size_t> counts(minutes_between(since, until));
  for (const auto& [id, r] : impl_->results) {
    if (r.finished_at >= since && r.finished_at < until)
      ++counts[minute_index(since, r.finished_at)];
  }
  return counts;
}

void MemoryStorage::record_worker(const WorkerInfo& worker) {
  auto lock = impl_->enter();
  impl_->workers[worker.id] = worker;
  std::erase_if(impl_->workers,
                [&](const auto& w) { return w.second.seen_at < worker.seen_at - kWorkerMemory; });
}

std::vector<WorkerInfo> MemoryStorage::workers(Timestamp since) {
  auto lock = impl_->enter();
  std::vector<WorkerInfo> out;
  for (const auto& [id, w] : impl_->workers) {
    if (w.seen_at >= since) out.push_back(w);
  }
  return out;
}

void MemoryStorage::close() {
  std::lock_guard lock(impl_->mu);
  impl_->closed = true;
}

}  // namespace omniq
