#include "engine/committer.hpp"

#include <algorithm>
#include <asio/post.hpp>
#include <asio/thread_pool.hpp>
#include <map>

namespace omniq {
namespace {

// The most requests one write takes.
constexpr std::size_t kMaxBatch = 512;

// A blocking caller's result slot.
struct Waiter {
  std::mutex mu;
  std::condition_variable cv;
  bool set = false;
  std::exception_ptr error;
  WriteResult result;
};

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

Committer::Committer(Storage& storage)
    : storage_(storage), writer_(std::make_unique<asio::thread_pool>(1)) {}

Committer::~Committer() {
  writer_->join();  // returns once no drain is left
}

void Committer::submit(WriteBatch request, Done done) {
  std::lock_guard lock(mu_);
  pending_.push_back({std::move(request), std::move(done)});
  post_drain_locked();
}

void Committer::post_drain_locked() {
  if (writing_ || drain_posted_ || pending_.empty()) return;
  drain_posted_ = true;
  asio::post(*writer_, [this] { drain(); });
}

WriteResult Committer::submit_wait(WriteBatch request) {
  auto w = std::make_shared<Waiter>();
  Done done = [w](std::exception_ptr e, WriteResult r) {
    std::lock_guard lock(w->mu);
    w->error = std::move(e);
    w->result = std::move(r);
    w->set = true;
    w->cv.notify_one();
  };
  std::unique_lock lock(mu_);
  pending_.push_back({std::move(request), std::move(done)});
  if (!writing_) {
    // Lead: write until this request is done, then leave the rest to a drain.
    writing_ = true;
    lock.unlock();
    for (;;) {
      round();
      std::lock_guard wl(w->mu);
      if (w->set) break;
    }
    lock.lock();
    writing_ = false;
    post_drain_locked();
  }
  lock.unlock();
  std::unique_lock wl(w->mu);
  w->cv.wait(wl, [&] { return w->set; });
  // Taken out under the lock: the error is then this thread's alone, and is
  // destroyed here, not by the writer when it drops its copy of `w`.
  std::exception_ptr error = std::move(w->error);
  WriteResult result = std::move(w->result);
  wl.unlock();
  if (error) std::rethrow_exception(std::move(error));
  return result;
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
