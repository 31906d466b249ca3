#include "omniq/async_task_queue.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "engine/encoded_size.hpp"
#include "log_events.hpp"
#include "omniq/error.hpp"

namespace omniq {

AsyncTaskQueue::AsyncTaskQueue(std::shared_ptr<AsyncStorage> storage, Settings settings,
                               std::shared_ptr<Clock> clock)
    : storage_(std::move(storage)), settings_(std::move(settings)), clock_(std::move(clock)) {
  settings_.validate();
}

void AsyncTaskQueue::check_size(const Task& t) const {
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

asio::awaitable<std::string> AsyncTaskQueue::enqueue(std::string func_path, Value args,
                                                     TaskOptions options) {
  Task t = make_task(std::move(func_path), std::move(args), options, settings_, clock_->now());
  co_return co_await enqueue(std::move(t));
}

asio::awaitable<std::string> AsyncTaskQueue::enqueue(Task task) {
  validate_task(task);
  check_size(task);
  std::string id = co_await storage_->enqueue(task);
  log_events::enqueued(task);
  notify(Event::enqueued, id);
  co_return id;
}

asio::awaitable<std::vector<std::string>> AsyncTaskQueue::enqueue_many(std::vector<Task> tasks) {
  for (const Task& t : tasks) {
    validate_task(t);
    check_size(t);
  }
  auto store = [tasks](Storage& s) { return s.enqueue_many(tasks); };
  auto ids = co_await storage_->run(store);
  for (const Task& t : tasks) log_events::enqueued(t);
  if (!ids.empty()) notify(Event::enqueued, ids.front());
  co_return ids;
}

std::string AsyncTaskQueue::enqueue_blocking(Task task) {
  validate_task(task);
  check_size(task);
  std::string id = storage_->enqueue_blocking(task);
  log_events::enqueued(task);
  notify(Event::enqueued, id);
  return id;
}

std::vector<std::string> AsyncTaskQueue::enqueue_many_blocking(std::vector<Task> tasks) {
  for (const Task& t : tasks) {
    validate_task(t);
    check_size(t);
  }
  auto ids = storage_->storage().enqueue_many(tasks);
  for (const Task& t : tasks) log_events::enqueued(t);
  if (!ids.empty()) notify(Event::enqueued, ids.front());
  return ids;
}

asio::awaitable<std::vector<Task>> AsyncTaskQueue::dequeue(std::size_t max, Duration lease) {
  Timestamp now = clock_->now();
  auto claim = [now, max, lease](Storage& s) { return s.dequeue_many(now, max, lease); };
  co_return co_await storage_->run(claim);
}

Duration AsyncTaskQueue::retry_delay(int n) const {
  double base = static_cast<double>(settings_.retry_backoff_base.count());
  double cap = static_cast<double>(settings_.retry_backoff_max.count());
  double delay = base * std::pow(2.0, std::max(0, n - 1));
  return Duration{static_cast<Duration::rep>(std::min(delay, cap))};
}

Duration AsyncTaskQueue::jittered_retry_delay(int n) const {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.75, 1.25);
  double d = static_cast<double>(retry_delay(n).count()) * jitter(rng);
  d = std::min(d, static_cast<double>(settings_.retry_backoff_max.count()));
  return Duration{static_cast<Duration::rep>(d)};
}

Outcome AsyncTaskQueue::success_outcome(const Task& claimed, Value result, Timestamp now) const {
  Outcome o;
  o.task_id = claimed.id;
  o.attempt = claimed.attempts;
  o.at = now;
  o.result = TaskResult{claimed.id, TaskStatus::SUCCESS, std::move(result),      std::nullopt,
                        now,        claimed.attempts,    claimed.last_attempt_at};
  if (claimed.schedule.interval) {
    o.status = TaskStatus::PENDING;  // the next run, counted from this finish
    o.next_eta = now + *claimed.schedule.interval;
  } else {
    o.status = TaskStatus::SUCCESS;
  }
  return o;
}

Outcome AsyncTaskQueue::failure_outcome(const Task& claimed, TaskError error, Timestamp now) const {
  // retry_count: retries of this run so far (the recorded error's count + 1).
  error.retry_count = claimed.error ? claimed.error->retry_count + 1 : 0;
  Outcome o;
  o.task_id = claimed.id;
  o.attempt = claimed.attempts;
  o.at = now;
  if (error.is_retryable && error.retry_count < claimed.max_retries) {
    o.status = TaskStatus::RETRYING;
    o.next_eta = now + jittered_retry_delay(error.retry_count + 1);
    o.error = std::move(error);
    return o;
  }
  o.result = TaskResult{claimed.id, TaskStatus::FAILED, std::nullopt,           error,
                        now,        claimed.attempts,   claimed.last_attempt_at};
  if (claimed.schedule.interval) {
    // A periodic task keeps its schedule: this run failed, the next one is due
    // an interval from now.
    o.status = TaskStatus::PENDING;
    o.next_eta = now + *claimed.schedule.interval;
  } else {
    o.status = TaskStatus::FAILED;
    o.error = std::move(error);
  }
  return o;
}

Outcome AsyncTaskQueue::cancelled_outcome(const Task& claimed, std::string reason,
                                          Timestamp now) const {
  TaskError e{"Cancelled",
              std::move(reason),
              now,
              std::nullopt,
              claimed.error ? claimed.error->retry_count + 1 : 0,
              false};
  Outcome o;
  o.task_id = claimed.id;
  o.attempt = claimed.attempts;
  o.at = now;
  o.status = TaskStatus::CANCELLED;
  o.error = e;
  o.result = TaskResult{claimed.id, TaskStatus::CANCELLED, std::nullopt,           e,
                        now,        claimed.attempts,      claimed.last_attempt_at};
  return o;
}

asio::awaitable<bool> AsyncTaskQueue::record(Outcome outcome) {
  std::string id = outcome.task_id;
  bool applied = co_await storage_->finish(std::move(outcome));
  if (applied) notify(Event::finished, id);
  co_return applied;
}

asio::awaitable<bool> AsyncTaskQueue::complete_task(const Task& claimed, Value result) {
  // Every store must be able to hold the result (the memory store would take
  // anything, and copy it recursively on every read).
  if (nests_deeper_than(result, kMaxValueDepth)) {
    throw SerializationError("the result of task " + claimed.id + " nests deeper than " +
                             std::to_string(kMaxValueDepth) + " levels");
  }
  Outcome o = success_outcome(claimed, std::move(result), clock_->now());
  bool applied = co_await record(std::move(o));
  if (applied) log_events::succeeded(claimed);
  co_return applied;
}

asio::awaitable<bool> AsyncTaskQueue::fail_task(const Task& claimed, TaskError error) {
  Outcome o = failure_outcome(claimed, std::move(error), clock_->now());
  const TaskError& e = o.error ? *o.error : *o.result->error;
  TaskStatus status = o.status;
  std::optional<Timestamp> eta = o.next_eta;
  TaskError logged = e;
  bool applied = co_await record(std::move(o));
  if (applied) {
    if (status == TaskStatus::RETRYING) {
      log_events::retrying(claimed, logged, *eta);
    } else {
      log_events::failed(claimed, logged);
    }
  }
  co_return applied;
}

asio::awaitable<bool> AsyncTaskQueue::cancel_running_task(const Task& claimed, std::string reason) {
  bool applied = co_await record(cancelled_outcome(claimed, std::move(reason), clock_->now()));
  if (applied) log_events::cancelled(claimed.id);
  co_return applied;
}

asio::awaitable<CancelResult> AsyncTaskQueue::cancel(std::string id) {
  validate_id(id);
  Timestamp now = clock_->now();
  auto cancel = [id, now](Storage& s) { return s.cancel(id, now); };
  CancelResult r = co_await storage_->run(cancel);
  if (r == CancelResult::cancelled) {
    log_events::cancelled(id);
    notify(Event::finished, id);
  } else if (r == CancelResult::requested) {
    notify(Event::cancel_requested, id);
  }
  co_return r;
}

asio::awaitable<std::optional<Task>> AsyncTaskQueue::get_task(std::string id) {
  validate_id(id);
  auto get = [id](Storage& s) { return s.get_task(id); };
  co_return co_await storage_->run(get);
}

asio::awaitable<std::optional<TaskResult>> AsyncTaskQueue::get_result(std::string id) {
  validate_id(id);
  auto get = [id](Storage& s) { return s.get_result(id); };
  co_return co_await storage_->run(get);
}

asio::awaitable<std::vector<Task>> AsyncTaskQueue::list_tasks(TaskFilter filter) {
  auto list = [filter](Storage& s) { return s.list_tasks(filter); };
  co_return co_await storage_->run(list);
}

asio::awaitable<QueueStats> AsyncTaskQueue::stats() {
  co_return co_await storage_->run([](Storage& s) { return s.stats(); });
}

asio::awaitable<std::size_t> AsyncTaskQueue::purge_results() {
  Timestamp cutoff = clock_->now() - settings_.result_ttl;
  auto purge = [cutoff](Storage& s) { return s.purge_results(cutoff); };
  co_return co_await storage_->run(purge);
}

asio::awaitable<std::size_t> AsyncTaskQueue::recover_expired() {
  Timestamp now = clock_->now();
  auto recover = [now](Storage& s) { return s.recover_expired(now); };
  co_return co_await storage_->run(recover);
}

std::size_t AsyncTaskQueue::listen(Listener listener) {
  std::lock_guard lock(listeners_mu_);
  listeners_.emplace_back(next_listener_, std::move(listener));
  return next_listener_++;
}

void AsyncTaskQueue::unlisten(std::size_t id) {
  std::lock_guard lock(listeners_mu_);
  std::erase_if(listeners_, [id](const auto& l) { return l.first == id; });
}

void AsyncTaskQueue::notify(Event e, const std::string& id) {
  std::lock_guard lock(listeners_mu_);
  for (const auto& [lid, l] : listeners_) l(e, id);
}

}  // namespace omniq
