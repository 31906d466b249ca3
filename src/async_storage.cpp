#include "omniq/async_storage.hpp"

#include <asio/post.hpp>
#include <asio/thread_pool.hpp>

#include "engine/finish_batcher.hpp"
#include "engine/group_commit.hpp"

namespace omniq {

// The largest batch one group commit applies.
constexpr std::size_t kMaxGroup = 512;

struct AsyncStorage::Impl {
  asio::thread_pool pool;
  GroupCommit<Task, std::string> enqueues;
  FinishBatcher finishes;

  Impl(Storage& s, std::size_t threads)
      : pool(threads),
        enqueues([&s](std::span<const Task> tasks) { return s.enqueue_many(tasks); },
                 [this](std::function<void()> job) { asio::post(pool, std::move(job)); },
                 kMaxGroup),
        finishes(
            s, [this](std::function<void()> job) { asio::post(pool, std::move(job)); }, kMaxGroup) {
  }
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

std::string AsyncStorage::enqueue_blocking(Task task) {
  return impl_->enqueues.submit_wait(std::move(task));
}

void AsyncStorage::finish_async(Outcome outcome,
                                std::function<void(std::exception_ptr, bool)> done) {
  impl_->finishes.finish(std::move(outcome), std::move(done));
}

void AsyncStorage::claim_async(Timestamp now, std::size_t n, Duration lease,
                               std::function<void(std::exception_ptr, Claimed)> done) {
  impl_->finishes.claim(now, n, lease, std::move(done));
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

asio::awaitable<AsyncStorage::Claimed> AsyncStorage::claim(Timestamp now, std::size_t n,
                                                           Duration lease) {
  return detail::async_call<Claimed>(
      [this, now, n, lease](auto done) mutable { claim_async(now, n, lease, std::move(done)); });
}

}  // namespace omniq
