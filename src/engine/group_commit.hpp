// GroupCommit: writes that arrive while a write is in progress are gathered
// and applied together by the next one, so N concurrent writers pay for one
// durable commit instead of N. Internal to the library.
//
// submit() never blocks: the first submission starts a drain on the storage
// threads; the drain applies everything pending in one call, delivers each
// caller its own result, and repeats until nothing is pending. submit_wait()
// is for blocking callers: when no drain is running, the caller applies the
// pending batch itself (a lone caller pays no thread hand-off) and leaves the
// rest to a drain; otherwise it waits for its result. After a batch of k
// items, a drain that finds fewer pending waits a little (at most half as
// long as that batch took, and 1 ms) for the callers just served to come
// back, so that steady concurrent callers share every commit rather than
// alternating between a full batch and a nearly empty one. If a batch fails,
// its items are retried one by one so that one bad item's error goes to its
// own caller only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

namespace omniq {

template <class Item, class Result>
class GroupCommit {
 public:
  using Done = std::function<void(std::exception_ptr, Result)>;
  using Apply = std::function<std::vector<Result>(std::span<const Item>)>;
  using Post = std::function<void(std::function<void()>)>;

  GroupCommit(Apply apply, Post post, std::size_t max_batch)
      : apply_(std::move(apply)), post_(std::move(post)), max_batch_(max_batch) {}

  void submit(Item item, Done done) {
    {
      std::lock_guard lock(mu_);
      items_.push_back(std::move(item));
      dones_.push_back(std::move(done));
      if (!draining_) {
        draining_ = true;
        post_([this] { drain(); });
      }
    }
    arrived_.notify_one();
  }

  // Submits item and blocks for its result (or rethrows its error).
  Result submit_wait(Item item) {
    Waiter w;
    std::unique_lock lock(mu_);
    items_.push_back(std::move(item));
    // w outlives its callback's one call: w.get() below returns only after it.
    // cppcheck-suppress danglingLifetime
    dones_.push_back([&w](std::exception_ptr e, Result r) { w.set(e, std::move(r)); });
    bool lead = !draining_;
    draining_ = true;
    lock.unlock();
    arrived_.notify_one();
    if (lead) {
      while (!w.is_set() && round(false)) {
      }
      lock.lock();
      if (items_.empty()) {
        draining_ = false;
      } else {
        post_([this] { drain(); });  // the rest goes on a storage thread
      }
      lock.unlock();
    }
    return w.get();
  }

  // True while a drain is queued or running (for shutdown).
  bool busy() const {
    std::lock_guard lock(mu_);
    return draining_;
  }

 private:
  using Clock = std::chrono::steady_clock;

  // A blocking caller's result slot.
  class Waiter {
   public:
    void set(std::exception_ptr e, Result r) {
      std::lock_guard lock(mu_);
      error_ = e;
      result_ = std::move(r);
      set_ = true;
      cv_.notify_one();
    }
    bool is_set() {
      std::lock_guard lock(mu_);
      return set_;
    }
    Result get() {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return set_; });
      if (error_) std::rethrow_exception(error_);
      return std::move(result_);
    }

   private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool set_ = false;
    std::exception_ptr error_;
    Result result_{};
  };

  void drain() {
    for (;;) {
      while (round(true)) {
      }
      std::lock_guard lock(mu_);
      if (items_.empty()) {
        draining_ = false;
        return;
      }
    }
  }

  // Applies one batch of what is pending; false when nothing was. With
  // `wait_for_more`, first lets the callers of the last batch come back.
  bool round(bool wait_for_more) {
    std::vector<Item> items;
    std::vector<Done> dones;
    {
      std::unique_lock lock(mu_);
      if (wait_for_more && last_size_ > 1 && items_.size() < last_size_) {
        auto wait = std::min<Clock::duration>(last_time_ / 2, std::chrono::milliseconds(1));
        arrived_.wait_for(lock, wait, [this] { return items_.size() >= last_size_; });
      }
      if (items_.empty()) return false;
      std::size_t n = std::min(items_.size(), max_batch_);
      std::move(items_.begin(), items_.begin() + n, std::back_inserter(items));
      std::move(dones_.begin(), dones_.begin() + n, std::back_inserter(dones));
      items_.erase(items_.begin(), items_.begin() + n);
      dones_.erase(dones_.begin(), dones_.begin() + n);
    }
    auto start = Clock::now();
    apply_batch(items, dones);
    std::lock_guard lock(mu_);
    last_size_ = items.size();
    last_time_ = Clock::now() - start;
    return true;
  }

  void apply_batch(const std::vector<Item>& items, const std::vector<Done>& dones) {
    std::vector<Result> results;
    try {
      results = apply_(items);
    } catch (...) {
      if (items.size() == 1) {
        dones[0](std::current_exception(), Result{});
        return;
      }
      for (std::size_t i = 0; i < items.size(); ++i) apply_batch({items[i]}, {dones[i]});
      return;
    }
    for (std::size_t i = 0; i < dones.size(); ++i) dones[i](nullptr, std::move(results[i]));
  }

  Apply apply_;
  Post post_;
  std::size_t max_batch_;
  mutable std::mutex mu_;
  std::condition_variable arrived_;  // an item was submitted
  std::vector<Item> items_;
  std::vector<Done> dones_;
  bool draining_ = false;
  std::size_t last_size_ = 0;  // the last batch's size and how long it took
  Clock::duration last_time_{};
};

}  // namespace omniq
