#include "omniq/async.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <mutex>
#include <optional>

#include "base/task_rules.hpp"
#include "engine/async_call.hpp"
#include "engine/on_storage.hpp"
#include "engine/task_queue.hpp"

namespace omniq {
namespace {

// How a finishing worker's listener wakes a get_result wait: the waiter's
// executor and timer while the wait lasts, nothing after it (a call of the
// listener that began before may end after it, on the worker's thread).
struct Wake {
  std::mutex mu;
  std::optional<asio::any_io_executor> ex;
  std::weak_ptr<asio::steady_timer> timer;
};

// Stops listening, and empties the wake, when the wait ends.
struct Listening {
  detail::TaskQueue& queue;
  std::size_t id;
  Wake& wake;
  ~Listening() {
    queue.unlisten(id);
    std::lock_guard lock(wake.mu);
    wake.ex.reset();
  }
};

}  // namespace

using detail::on_storage;

// cppcheck-suppress passedByValue ; used twice below, so it cannot be moved from
AsyncOmniQ::AsyncOmniQ(Settings settings, std::shared_ptr<Clock> clock)
    : queue_(std::make_shared<detail::TaskQueue>(make_storage(settings), settings,
                                                 std::move(clock))) {}

AsyncOmniQ::AsyncOmniQ(std::shared_ptr<Storage> storage, Settings settings,
                       std::shared_ptr<Clock> clock)
    : queue_(std::make_shared<detail::TaskQueue>(std::move(storage), std::move(settings),
                                                 std::move(clock))) {}

AsyncOmniQ::AsyncOmniQ(std::shared_ptr<detail::TaskQueue> queue) : queue_(std::move(queue)) {}

AsyncOmniQ AsyncOmniQ::from_env() {
  return AsyncOmniQ(Settings::from_env());
}

asio::awaitable<Enqueued> AsyncOmniQ::submit(std::string func_path, Value args,
                                             TaskOptions options) {
  Task t = make_task(std::move(func_path), std::move(args), std::move(options));
  // Named before co_await: g++ 12 destroys a capturing lambda written inside one twice.
  auto start = [q = queue_, t = std::move(t)](auto done) mutable {
    std::vector<Task> tasks;  // not a braced list: that would copy the arguments
    tasks.push_back(std::move(t));
    q->enqueue(std::move(tasks), done);
  };
  auto ids = co_await detail::async_call<std::vector<Enqueued>>(std::move(start));
  co_return ids.front();
}

asio::awaitable<std::string> AsyncOmniQ::enqueue(std::string func_path, Value args,
                                                 TaskOptions options) {
  Enqueued e = co_await submit(std::move(func_path), std::move(args), std::move(options));
  co_return e.id;
}

asio::awaitable<std::string> AsyncOmniQ::enqueue(std::string func_path, Value args) {
  return enqueue(std::move(func_path), std::move(args), TaskOptions{});
}

asio::awaitable<std::string> AsyncOmniQ::enqueue(std::string func_path) {
  return enqueue(std::move(func_path), Value::array(), TaskOptions{});
}

asio::awaitable<std::string> AsyncOmniQ::enqueue(TaskCall call, TaskOptions options) {
  return enqueue(std::move(call.func_path), std::move(call.args), std::move(options));
}

asio::awaitable<std::string> AsyncOmniQ::enqueue(TaskCall call) {
  return enqueue(std::move(call), TaskOptions{});
}

asio::awaitable<std::vector<std::string>> AsyncOmniQ::enqueue_many(std::vector<Task> tasks) {
  auto start = [q = queue_, tasks = std::move(tasks)](auto done) mutable {
    q->enqueue(std::move(tasks), done);
  };
  auto enqueued = co_await detail::async_call<std::vector<Enqueued>>(std::move(start));
  std::vector<std::string> ids;
  for (Enqueued& e : enqueued) ids.push_back(std::move(e.id));
  co_return ids;
}

Task AsyncOmniQ::make_task(std::string func_path, Value args, TaskOptions options) const {
  return queue_->make_task(std::move(func_path), std::move(args), options);
}

asio::awaitable<std::optional<TaskResult>> AsyncOmniQ::get_result(std::string id) {
  return get_result(std::move(id), ResultOptions{});
}

asio::awaitable<std::optional<TaskResult>> AsyncOmniQ::get_result(std::string id,
                                                                  ResultOptions options) {
  using clock = std::chrono::steady_clock;
  auto q = queue_;
  auto read = [q, id] { return q->get_result(id); };
  auto result = co_await on_storage(q, read);
  if (result || !options.wait) co_return result;
  auto exists = [q, id] { return q->get_task(id).has_value(); };
  if (!co_await on_storage(q, exists))
    throw NotFoundError("no task with id " + id + " to wait for");

  auto deadline = options.timeout ? clock::now() + *options.timeout : clock::time_point::max();
  auto ex = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(ex);
  // A worker in this process finishing the task wakes us at once.
  auto wake = std::make_shared<Wake>();
  wake->ex = ex;
  wake->timer = timer;
  std::size_t listener = q->listen([id, wake](detail::TaskQueue::Event e, const std::string& t) {
    std::lock_guard lock(wake->mu);
    if (e != detail::TaskQueue::Event::finished || t != id || !wake->ex) return;
    asio::post(*wake->ex, [weak = wake->timer] {
      if (auto waiting = weak.lock()) waiting->cancel();
    });
  });
  Listening listening{*q, listener, *wake};
  Duration poll = std::chrono::milliseconds(10);
  for (;;) {
    if (clock::now() >= deadline) {
      throw TimeoutError("no result for task " + id + " within " +
                         format_duration(*options.timeout));
    }
    timer->expires_at(std::min(deadline, clock::now() + poll));
    co_await timer->async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    result = co_await on_storage(q, read);
    if (result) co_return result;
    poll = std::min<Duration>(poll * 2, std::chrono::milliseconds(250));
  }
}

asio::awaitable<CancelResult> AsyncOmniQ::cancel(std::string id) {
  return on_storage(queue_, [q = queue_, id] { return q->cancel(id); });
}

asio::awaitable<std::string> AsyncOmniQ::retry(std::string id) {
  return on_storage(queue_, [q = queue_, id] { return q->retry(id); });
}

asio::awaitable<std::optional<Task>> AsyncOmniQ::get_task(std::string id) {
  return on_storage(queue_, [q = queue_, id] { return q->get_task(id); });
}

asio::awaitable<std::vector<Task>> AsyncOmniQ::list_tasks(TaskFilter filter) {
  return on_storage(queue_, [q = queue_, filter] { return q->list_tasks(filter); });
}

asio::awaitable<QueueStats> AsyncOmniQ::stats() {
  return on_storage(queue_, [q = queue_] { return q->stats(); });
}

asio::awaitable<std::size_t> AsyncOmniQ::purge_results() {
  return on_storage(queue_, [q = queue_] { return q->purge_results(); });
}

asio::awaitable<void> AsyncOmniQ::pause_queue(std::string queue) {
  return on_storage(queue_, [q = queue_, queue] { q->set_paused(queue, true); });
}

asio::awaitable<void> AsyncOmniQ::resume_queue(std::string queue) {
  return on_storage(queue_, [q = queue_, queue] { q->set_paused(queue, false); });
}

AsyncWorkerPool AsyncOmniQ::worker(Registry registry, WorkerOptions options,
                                   asio::any_io_executor executor) const {
  return AsyncWorkerPool(queue_, std::move(registry), std::move(options), executor);
}

const Settings& AsyncOmniQ::settings() const {
  return queue_->settings();
}
const std::shared_ptr<Storage>& AsyncOmniQ::storage() const {
  return queue_->shared_storage();
}
OmniQ AsyncOmniQ::sync() const {
  return OmniQ(queue_);
}

}  // namespace omniq
