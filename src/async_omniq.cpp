#include "omniq/async_omniq.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "omniq/error.hpp"
#include "omniq/logging.hpp"

namespace omniq {
namespace {

std::shared_ptr<AsyncTaskQueue> build(std::shared_ptr<Storage> storage, Settings settings,
                                      std::shared_ptr<Clock> clock) {
  set_log_level(settings.log_level);
  auto async = std::make_shared<AsyncStorage>(std::move(storage));
  return std::make_shared<AsyncTaskQueue>(std::move(async), std::move(settings), std::move(clock));
}

}  // namespace

// cppcheck-suppress passedByValue ; the public signature takes settings by value, like the
// other constructor; used twice below, so it cannot be moved from.
AsyncOmniQ::AsyncOmniQ(Settings settings, std::shared_ptr<Clock> clock)
    : queue_(build(make_storage(settings), settings, std::move(clock))) {}

AsyncOmniQ::AsyncOmniQ(std::shared_ptr<Storage> storage, Settings settings,
                       std::shared_ptr<Clock> clock)
    : queue_(build(std::move(storage), std::move(settings), std::move(clock))) {}

AsyncOmniQ AsyncOmniQ::from_env() {
  return AsyncOmniQ(Settings::from_env());
}

asio::awaitable<std::string> AsyncOmniQ::enqueue(std::string func_path, Value args,
                                                 TaskOptions options) {
  return queue_->enqueue(std::move(func_path), std::move(args), std::move(options));
}

asio::awaitable<std::string> AsyncOmniQ::enqueue(std::string func_path, Value args) {
  return queue_->enqueue(std::move(func_path), std::move(args), TaskOptions{});
}

asio::awaitable<std::string> AsyncOmniQ::enqueue(std::string func_path) {
  return queue_->enqueue(std::move(func_path), Value::array(), TaskOptions{});
}

asio::awaitable<std::optional<TaskResult>> AsyncOmniQ::get_result(std::string id) {
  return get_result(std::move(id), ResultOptions{});
}

asio::awaitable<std::vector<std::string>> AsyncOmniQ::enqueue_many(std::vector<Task> tasks) {
  return queue_->enqueue_many(std::move(tasks));
}

Task AsyncOmniQ::make_task(std::string func_path, Value args, TaskOptions options) const {
  return omniq::make_task(std::move(func_path), std::move(args), options, queue_->settings(),
                          queue_->clock().now());
}

asio::awaitable<std::optional<TaskResult>> AsyncOmniQ::get_result(std::string id,
                                                                  ResultOptions options) {
  using clock = std::chrono::steady_clock;
  validate_id(id);
  auto result = co_await queue_->get_result(id);
  if (result || !options.wait) co_return result;

  auto deadline = options.timeout ? clock::now() + *options.timeout : clock::time_point::max();
  auto ex = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(ex);
  // A worker in this process finishing the task wakes us at once.
  std::size_t listener =
      queue_->listen([id, timer, ex](AsyncTaskQueue::Event e, const std::string& tid) {
        if (e == AsyncTaskQueue::Event::finished && tid == id)
          asio::post(ex, [timer] { timer->cancel(); });
      });
  struct Unlisten {
    AsyncTaskQueue& q;
    std::size_t id;
    ~Unlisten() { q.unlisten(id); }
  } unlisten{*queue_, listener};

  Duration poll = std::chrono::milliseconds(10);
  for (;;) {
    if (clock::now() >= deadline) {
      throw TimeoutError("no result for task " + id + " within " +
                         format_duration(*options.timeout));
    }
    timer->expires_at(std::min(deadline, clock::now() + poll));
    co_await timer->async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    result = co_await queue_->get_result(id);
    if (result) co_return result;
    poll = std::min<Duration>(poll * 2, std::chrono::milliseconds(250));
  }
}

asio::awaitable<CancelResult> AsyncOmniQ::cancel(std::string id) {
  return queue_->cancel(std::move(id));
}

asio::awaitable<std::optional<Task>> AsyncOmniQ::get_task(std::string id) {
  return queue_->get_task(std::move(id));
}

asio::awaitable<std::vector<Task>> AsyncOmniQ::list_tasks(TaskFilter filter) {
  return queue_->list_tasks(std::move(filter));
}

asio::awaitable<QueueStats> AsyncOmniQ::stats() {
  return queue_->stats();
}

std::unique_ptr<AsyncWorkerPool> AsyncOmniQ::worker(Registry registry, WorkerOptions options,
                                                    asio::any_io_executor executor) const {
  return std::make_unique<AsyncWorkerPool>(queue_, std::move(registry), options, executor);
}

}  // namespace omniq
