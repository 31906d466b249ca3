#include "engine/committer.hpp"

#include <algorithm>
#include <asio/post.hpp>
#include <asio/thread_pool.hpp>
#include <map>

namespace omniq {
namespace {

// The most requests one write takes.
constexpr std::size_t kMaxBatch = 512;

template <class T>
void append(std::vector<T>& to, std::vector<T>& from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
  from.clear();
}

// Moves the last n items of `from` back into `to` (undoing append).
template <class T>
void take_back(std::vector<T>& to, std::vector<T>& from, std::size_t n) {
  to.assign(std::make_move_iterator(from.end() - static_cast<std::ptrdiff_t>(n)),
            std::make_move_iterator(from.end()));
  from.resize(from.size() - n);
}

}  // namespace

// A blocking caller's result slot, and its turn to lead (under mu_).
struct Committer::Waiter {
  std::condition_variable cv;
  bool set = false;
  bool storage_thread = false;  // called on a storage thread
  bool lead = false;            // handed the lead by the one before
  std::exception_ptr error;
  WriteResult result;
};

Committer::Committer(Storage& storage, asio::thread_pool& threads)
    : storage_(storage), threads_(threads) {}

void Committer::submit(WriteBatch request, Done done) {
  std::lock_guard lock(mu_);
  pending_.push_back({std::move(request), std::move(done)});
  post_drain_locked();
}

void Committer::post_drain_locked() {
  // writing_ means a thread is writing now, never that a drain waits its turn:
  // so a blocking caller on a storage thread never waits for a queued drain.
  if (writing_ || drain_posted_ || pending_.empty()) return;
  drain_posted_ = true;
  asio::post(threads_, [this] { drain(); });
}

WriteResult Committer::submit_wait(WriteBatch request) {
  auto w = std::make_shared<Waiter>();
  w->storage_thread = threads_.get_executor().running_in_this_thread();
  Done done = [this, w](std::exception_ptr e, WriteResult r) {
    std::lock_guard lock(mu_);
    w->error = std::move(e);
    w->result = std::move(r);
    w->set = true;
    w->cv.notify_one();
  };
  std::unique_lock lock(mu_);
  pending_.push_back({std::move(request), std::move(done), w.get()});
  if (writing_) w->cv.wait(lock, [&] { return w->set || w->lead; });
  if (!w->set) {
    // Lead: write until this request is done, then hand over.
    writing_ = true;
    while (!w->set) {
      lock.unlock();
      round();
      lock.lock();
    }
    leave_locked();
  }
  // Taken out under the lock: the error is then this thread's alone, and is
  // destroyed here, not by the writer when it drops its copy of `w`.
  std::exception_ptr error = std::move(w->error);
  WriteResult result = std::move(w->result);
  lock.unlock();
  if (error) std::rethrow_exception(std::move(error));
  return result;
}

void Committer::leave_locked() {
  // A blocking caller on a storage thread leads next: every storage thread
  // may be one, with none left to run a drain.
  for (Pending& p : pending_) {
    if (p.waiter && p.waiter->storage_thread) {
      p.waiter->lead = true;
      p.waiter->cv.notify_one();
      return;
    }
  }
  writing_ = false;
  post_drain_locked();
}

void Committer::drain() {
  {
    std::lock_guard lock(mu_);
    drain_posted_ = false;
    if (writing_) return;  // a blocking caller leads; it posts a drain for what it leaves
    writing_ = true;
  }
  while (round()) {
  }
}

bool Committer::round() {
  std::vector<Pending> batch;
  {
    std::lock_guard lock(mu_);
    if (pending_.empty()) {
      writing_ = false;
      return false;
    }
    std::size_t n = std::min(pending_.size(), kMaxBatch);
    std::move(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n),
              std::back_inserter(batch));
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
  }
  write(batch);
  return true;
}

void Committer::write(std::vector<Pending>& batch) {
  if (batch.size() == 1) {
    WriteResult r;
    std::exception_ptr error;
    try {
      r = storage_.write(batch[0].request);
    } catch (...) {
      error = std::current_exception();
    }
    // Outside the catch: this thread holds no reference to the error once
    // it has handed it over.
    batch[0].done(std::move(error), std::move(r));
    return;
  }
  // Merge: one claim entry per queue, the latest `now`, the longest lease.
  WriteBatch merged;
  std::vector<std::pair<std::size_t, std::size_t>> sizes;  // per request: tasks, outcomes
  std::map<std::string, std::size_t> claim_index;
  for (Pending& p : batch) {
    sizes.emplace_back(p.request.enqueue.size(), p.request.outcomes.size());
    append(merged.enqueue, p.request.enqueue);
    append(merged.outcomes, p.request.outcomes);
    for (const QueueClaim& c : p.request.claims) {
      auto [it, added] = claim_index.emplace(c.queue, merged.claims.size());
      if (added) merged.claims.push_back({c.queue, 0});
      merged.claims[it->second].n += c.n;
    }
    merged.now = std::max(merged.now, p.request.now);
    merged.lease = std::max(merged.lease, p.request.lease);
  }
  WriteResult all;
  try {
    all = storage_.write(merged);
  } catch (...) {
    // Nothing was written: give each request its items back, and write it alone.
    for (std::size_t i = batch.size(); i-- > 0;) {
      take_back(batch[i].request.enqueue, merged.enqueue, sizes[i].first);
      take_back(batch[i].request.outcomes, merged.outcomes, sizes[i].second);
    }
    for (Pending& p : batch) {
      std::vector<Pending> alone;
      alone.push_back(std::move(p));
      write(alone);
    }
    return;
  }
  // Split the result: items in request order; claimed tasks by queue, in order.
  std::map<std::string, std::deque<Task>> claimed;
  for (Task& t : all.claimed) claimed[t.queue].push_back(std::move(t));
  auto enqueued = all.enqueued.begin();
  auto applied = all.applied.begin();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    WriteResult r;
    r.enqueued.assign(enqueued, enqueued + static_cast<std::ptrdiff_t>(sizes[i].first));
    r.applied.assign(applied, applied + static_cast<std::ptrdiff_t>(sizes[i].second));
    enqueued += static_cast<std::ptrdiff_t>(sizes[i].first);
    applied += static_cast<std::ptrdiff_t>(sizes[i].second);
    for (const QueueClaim& c : batch[i].request.claims) {
      auto& tasks = claimed[c.queue];
      for (std::size_t k = 0; k < c.n && !tasks.empty(); ++k) {
        r.claimed.push_back(std::move(tasks.front()));
        tasks.pop_front();
      }
    }
    batch[i].done(nullptr, std::move(r));
  }
}

}  // namespace omniq
