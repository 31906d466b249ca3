#include "engine/task_queue.hpp"

#include <asio/thread_pool.hpp>
#include <random>

#include "engine/encoded_size.hpp"

#include "base/log_events.hpp"
#include "omniq/error.hpp"
#include "storage/storage_rules.hpp"

namespace omniq::detail {
namespace {

// Threads for storage calls made by coroutines (and for their group commits).
constexpr std::size_t kStorageThreads = 2;
// Lost claims recovered per write.
constexpr std::size_t kRecoverBatch = 256;

double jitter() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.75, 1.25)(rng);
}

Verdict verdict_of(const Outcome& o, Happening::Kind what) {
  if (o.status == TaskStatus::CANCELLED) return Verdict::cancelled;
  if (what == Happening::Kind::released) return Verdict::released;
  if (o.result)
    return o.result->status == TaskStatus::SUCCESS ? Verdict::succeeded : Verdict::failed;
  return Verdict::retried;
}

void log_verdict(const Task& t, const Outcome& o, Verdict v) {
  switch (v) {
    case Verdict::succeeded:
      log_events::succeeded(t);
      break;
    case Verdict::retried:
      log_events::retrying(t, *o.error, *o.next_eta);
      break;
    case Verdict::failed:
      log_events::failed(t, *o.result->error);
      break;
    case Verdict::cancelled:
      log_events::cancelled(t.id);
      break;
    case Verdict::released:
    case Verdict::lost:
      break;
  }
}

}  // namespace

// What record() keeps between its writes.
struct TaskQueue::RecordState {
  std::vector<Task> claimed;  // per finished attempt
  std::vector<Happening::Kind> what;
  std::vector<Outcome> outcomes;  // as decided (moved into the batch; copies of what is logged)
  std::vector<Verdict> verdicts;
  std::vector<std::size_t> retried;  // indices decided again as cancels
  std::vector<Task> claims;
};

TaskQueue::TaskQueue(std::shared_ptr<Storage> storage, Settings settings,
                     std::shared_ptr<Clock> clock)
    : storage_(std::move(storage)),
      settings_(std::move(settings)),
      clock_(std::move(clock)),
      threads_(std::make_unique<asio::thread_pool>(kStorageThreads)),
      committer_(*storage_) {
  settings_.validate();
  if (settings_.log_level) set_log_level(*settings_.log_level);  // only a level chosen
}

TaskQueue::~TaskQueue() {
  threads_->join();  // waits until no job is left (a job may post another)
}

Task TaskQueue::make_task(std::string func_path, Value args, const TaskOptions& options) const {
  return omniq::make_task(std::move(func_path), std::move(args), options, settings_, clock_->now());
}

void TaskQueue::check(const Task& t) const {
  validate_task(t);
  std::size_t limit = settings_.max_task_bytes;
  std::size_t size = t.func_path.size() + encoded_size(t.args, limit);
  if (size <= limit) size += encoded_size(t.kwargs, limit - size);
  if (size > limit) {
    throw ValidationError("task " + t.id + " (" + t.func_path + ") is too large: its arguments " +
                          "encode to more than " + std::to_string(limit) +
                          " bytes (max_task_bytes, OMNIQ_MAX_TASK_BYTES); pass a reference "
                          "(a path or key) instead of the data");
  }
}

std::vector<Enqueued> TaskQueue::enqueue(std::vector<Task> tasks) {
  for (const Task& t : tasks) check(t);
  std::vector<std::string> names;
  for (const Task& t : tasks) names.push_back(t.func_path);
  WriteBatch b;
  b.enqueue = std::move(tasks);
  auto enqueued = committer_.submit_wait(std::move(b)).enqueued;
  log_enqueued(enqueued, names);
  return enqueued;
}

void TaskQueue::enqueue(std::vector<Task> tasks, Callback<std::vector<Enqueued>> done) {
  try {
    for (const Task& t : tasks) check(t);
  } catch (...) {
    done(std::current_exception(), {});
    return;
  }
  std::vector<std::string> names;
  for (const Task& t : tasks) names.push_back(t.func_path);
  WriteBatch b;
  b.enqueue = std::move(tasks);
  committer_.submit(std::move(b), [this, done, names](std::exception_ptr e, WriteResult r) {
    if (!e) log_enqueued(r.enqueued, names);
    done(e, std::move(r.enqueued));
  });
}

void TaskQueue::log_enqueued(const std::vector<Enqueued>& enqueued,
                             const std::vector<std::string>& names) {
  for (std::size_t i = 0; i < enqueued.size(); ++i) {
    if (enqueued[i].created) log_events::enqueued(enqueued[i].id, names[i]);
  }
  if (!enqueued.empty()) notify(Event::enqueued, enqueued.front().id);
}

WriteBatch TaskQueue::record_batch(RecordState& state, std::vector<Finished> finished,
                                   std::vector<QueueClaim> claims, Duration lease) {
  WriteBatch b;
  Timestamp now = clock_->now();
  for (Finished& f : finished) {
    state.what.push_back(f.what.kind);
    Outcome o = decide(f.claimed, std::move(f.what), now, settings_, jitter());
    state.claimed.push_back(std::move(f.claimed));
    b.outcomes.push_back(o);
    // Keep what logging needs, never the result value (it may be large).
    if (o.result) o.result->result.reset();
    state.outcomes.push_back(std::move(o));
  }
  state.verdicts.resize(state.claimed.size(), Verdict::lost);
  b.claims = std::move(claims);
  b.now = now;
  b.lease = lease;
  return b;
}

WriteBatch TaskQueue::settle(RecordState& state, WriteResult r) {
  WriteBatch again;
  if (state.retried.empty()) {
    state.claims = std::move(r.claimed);
    for (std::size_t i = 0; i < r.applied.size(); ++i) {
      if (r.applied[i] == Applied::yes) {
        state.verdicts[i] = verdict_of(state.outcomes[i], state.what[i]);
      } else if (r.applied[i] == Applied::cancel_requested) {
        Task t = state.claimed[i];
        t.cancel_requested = true;
        state.outcomes[i] = decide(t, {state.what[i]}, clock_->now(), settings_, 1.0);
        state.retried.push_back(i);
        again.outcomes.push_back(state.outcomes[i]);
      }
    }
    return again;
  }
  for (std::size_t k = 0; k < r.applied.size(); ++k) {
    if (r.applied[k] == Applied::yes) state.verdicts[state.retried[k]] = Verdict::cancelled;
  }
  return again;
}

TaskQueue::Recorded TaskQueue::finish(RecordState& state) {
  for (std::size_t i = 0; i < state.claimed.size(); ++i) {
    log_verdict(state.claimed[i], state.outcomes[i], state.verdicts[i]);
    if (state.verdicts[i] != Verdict::lost && state.verdicts[i] != Verdict::released) {
      notify(Event::finished, state.claimed[i].id);
    }
  }
  return {std::move(state.verdicts), std::move(state.claims)};
}

TaskQueue::Recorded TaskQueue::record(std::vector<Finished> finished,
                                      std::vector<QueueClaim> claims, Duration lease) {
  RecordState state;
  WriteBatch b = record_batch(state, std::move(finished), std::move(claims), lease);
  WriteBatch again = settle(state, committer_.submit_wait(std::move(b)));
  if (!again.outcomes.empty()) settle(state, committer_.submit_wait(std::move(again)));
  return finish(state);
}

void TaskQueue::record(std::vector<Finished> finished, std::vector<QueueClaim> claims,
                       Duration lease, Callback<Recorded> done) {
  auto state = std::make_shared<RecordState>();
  WriteBatch b = record_batch(*state, std::move(finished), std::move(claims), lease);
  auto complete = [this, state, done](std::exception_ptr e) {
    if (e) return done(e, {});
    done(nullptr, finish(*state));
  };
  committer_.submit(std::move(b), [this, state, complete](std::exception_ptr e, WriteResult r) {
    if (e) return complete(e);
    WriteBatch again = settle(*state, std::move(r));
    if (again.outcomes.empty()) return complete(nullptr);
    committer_.submit(std::move(again),
                      [this, state, complete](std::exception_ptr e2, WriteResult r2) {
                        if (!e2) settle(*state, std::move(r2));
                        complete(e2);
                      });
  });
}

std::vector<Applied> TaskQueue::renew(std::span<const Claim> claims, Duration lease) {
  return storage_->renew_leases(claims, clock_->now() + lease);
}

std::size_t TaskQueue::recover_expired() {
  std::size_t recovered = 0;
  for (;;) {
    std::vector<Task> lost = storage_->expired(clock_->now(), kRecoverBatch);
    if (lost.empty()) return recovered;
    std::vector<Finished> finished;
    for (Task& t : lost) finished.push_back({std::move(t), {Happening::Kind::worker_lost}});
    Recorded r = record(std::move(finished), {}, Duration{});
    for (Verdict v : r.verdicts) recovered += v != Verdict::lost;
    if (lost.size() < kRecoverBatch) return recovered;
  }
}

std::size_t TaskQueue::purge_results() {
  return storage_->purge_results(clock_->now() - settings_.result_ttl);
}

CancelResult TaskQueue::cancel(const std::string& id) {
  validate_id(id);
  CancelResult r = storage_->cancel(id, clock_->now());
  if (r == CancelResult::cancelled) {
    log_events::cancelled(id);
    notify(Event::finished, id);
  } else if (r == CancelResult::requested) {
    notify(Event::cancel_requested, id);
  }
  return r;
}

std::string TaskQueue::retry(const std::string& id) {
  std::optional<Task> old = get_task(id);
  if (!old) throw NotFoundError("no task with id " + id);
  if (old->status != TaskStatus::FAILED && old->status != TaskStatus::CANCELLED) {
    throw InvalidTransitionError("task " + id + " is " + std::string(to_string(old->status)) +
                                 "; only a FAILED or CANCELLED task can be retried");
  }
  Task t = make_task(old->func_path, old->args,
                     {.kwargs = old->kwargs,
                      .interval = old->schedule.interval,
                      .cron = old->schedule.cron,
                      .timezone = old->schedule.timezone,
                      .max_retries = old->max_retries,
                      .queue = old->queue,
                      .priority = old->priority});
  t.timeout = old->timeout;  // none stays none (make_task would give the default)
  t.retry_of = id;
  std::vector<Task> tasks;
  tasks.push_back(std::move(t));
  return enqueue(std::move(tasks)).front().id;
}

std::optional<Task> TaskQueue::get_task(const std::string& id) {
  validate_id(id);
  return storage_->get_task(id);
}

std::optional<TaskResult> TaskQueue::get_result(const std::string& id) {
  validate_id(id);
  return storage_->get_result(id);
}

std::vector<Task> TaskQueue::list_tasks(const TaskFilter& filter) {
  if (filter.queue) validate_name(*filter.queue, "queue");
  return storage_->list_tasks(filter);
}

QueueStats TaskQueue::stats() {
  return storage_->stats();
}

void TaskQueue::set_paused(const std::string& queue, bool paused) {
  validate_name(queue, "queue");
  storage_->set_paused(queue, paused);
}

std::size_t TaskQueue::listen(Listener listener) {
  std::lock_guard lock(listeners_mu_);
  listeners_.emplace_back(next_listener_, std::move(listener));
  return next_listener_++;
}

void TaskQueue::unlisten(std::size_t id) {
  std::lock_guard lock(listeners_mu_);
  std::erase_if(listeners_, [id](const auto& l) { return l.first == id; });
}

void TaskQueue::notify(Event e, const std::string& id) {
  std::vector<Listener> listeners;
  {
    std::lock_guard lock(listeners_mu_);
    for (const auto& [lid, l] : listeners_) listeners.push_back(l);
  }
  for (const Listener& l : listeners) l(e, id);
}

}  // namespace omniq::detail
