// GroupCommit: writes that arrive while a write is in progress are gathered
// and applied together by the next one, so N concurrent writers pay for one
// durable commit instead of N. Internal to the library.
//
// submit() never blocks: the first submission starts a drain on the storage
// threads; the drain applies everything pending in one call, delivers each
// caller its own result, and repeats until nothing is pending. If a batch
// fails, its items are retried one by one so that one bad item's error goes
// to its own caller only.
#pragma once

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
    std::lock_guard lock(mu_);
    items_.push_back(std::move(item));
    dones_.push_back(std::move(done));
    if (!draining_) {
      draining_ = true;
      post_([this] { drain(); });
    }
  }

  // True while a drain is queued or running (for shutdown).
  bool busy() const {
    std::lock_guard lock(mu_);
    return draining_;
  }

 private:
  void drain() {
    std::vector<Item> items;
    std::vector<Done> dones;
    for (;;) {
      items.clear();
      dones.clear();
      {
        std::lock_guard lock(mu_);
        if (items_.empty()) {
          draining_ = false;
          return;
        }
        std::size_t n = std::min(items_.size(), max_batch_);
        std::move(items_.begin(), items_.begin() + n, std::back_inserter(items));
        std::move(dones_.begin(), dones_.begin() + n, std::back_inserter(dones));
        items_.erase(items_.begin(), items_.begin() + n);
        dones_.erase(dones_.begin(), dones_.begin() + n);
      }
      apply_batch(items, dones);
    }
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
  std::vector<Item> items_;
  std::vector<Done> dones_;
  bool draining_ = false;
};

}  // namespace omniq
