#include "omniq/async_storage.hpp"

#include <asio/post.hpp>
#include <asio/thread_pool.hpp>

#include "engine/group_commit.hpp"

namespace omniq {

// The largest batch one group commit applies.
constexpr std::size_t kMaxGroup = 512;

struct AsyncStorage::Impl {
  asio::thread_pool pool;
  GroupCommit<Task, std::string> enqueues;
  GroupCommit<Outcome, bool> finishes;

  Impl(Storage& s, std::size_t threads)
      : pool(threads),
        enqueues([&s](std::span<const Task> tasks) { return s.enqueue_many(tasks); },
                 [this](std::function<void()> job) { asio::post(pool, std::move(job)); },
                 kMaxGroup),
        finishes(
            [&s](std::span<const Outcome> outcomes) {
              auto applied = s.finish_many(outcomes);
              return std::vector<bool>(applied.begin(), applied.end());
            },
            [this](std::function<void()> job) { asio::post(pool, std::move(job)); }, kMaxGroup) {}
};

AsyncStorage::AsyncStorage(std::shared_ptr<Storage> storage, std::size_t threads)
    : storage_(std::move(storage)), impl_(std::make_unique<Impl>(*storage_, threads)) {}

AsyncStorage::~AsyncStorage() {
  impl_->pool.join();
}

void AsyncStorage::post(std::function<void()> job) {
  asio::post(impl_->pool, std::move(job));
}

void AsyncStorage::enqueue_async(Task task,
                                 std::function<void(std::exception_ptr, std::string)> done) {
  impl_->enqueues.submit(std::move(task), std::move(done));
}

void AsyncStorage::finish_async(Outcome outcome,
                                std::function<void(std::exception_ptr, bool)> done) {
  impl_->finishes.submit(std::move(outcome), std::move(done));
}

asio::awaitable<std::string> AsyncStorage::enqueue(Task task) {
  return detail::async_call<std::string>([this, task = std::move(task)](auto done) mutable {
    enqueue_async(std::move(task), std::move(done));
  });
}

asio::awaitable<bool> AsyncStorage::finish(Outcome outcome) {
  return detail::async_call<bool>([this, o = std::move(outcome)](auto done) mutable {
    finish_async(std::move(o), std::move(done));
  });
}

}  // namespace omniq
