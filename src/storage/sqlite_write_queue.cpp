#include "sqlite_write_queue.hpp"

#include <vector>

namespace omniq {
namespace {

void run_statement(SqliteStatement& s) {
  StatementUse use(s);
  use->run();
}

}  // namespace

SqliteWriteQueue::SqliteWriteQueue(SqliteDb& db, std::mutex& db_mutex, std::size_t max_batch)
    : db_(db),
      db_mutex_(db_mutex),
      max_batch_(max_batch == 0 ? 1 : max_batch),
      begin_(db, "BEGIN IMMEDIATE"),
      commit_(db, "COMMIT"),
      rollback_(db, "ROLLBACK"),
      savepoint_(db, "SAVEPOINT omniq_request"),
      release_(db, "RELEASE omniq_request"),
      rollback_to_(db, "ROLLBACK TO omniq_request") {}

std::size_t SqliteWriteQueue::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void SqliteWriteQueue::run(const std::function<void()>& work) {
  Request self;
  self.work = &work;
  std::unique_lock lock(mu_);
  queue_.push_back(&self);
  while (!self.done && queue_.front() != &self) self.cv.wait(lock);
  if (self.done) {  // a leader ran it
    if (self.error) std::rethrow_exception(self.error);
    return;
  }
  // This thread leads: take everything queued (up to max_batch_).
  std::vector<Request*> batch;
  for (Request* r : queue_) {
    if (batch.size() == max_batch_) break;
    batch.push_back(r);
  }
  lock.unlock();
  lead(batch);
  lock.lock();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Request* r = queue_.front();
    queue_.pop_front();
    if (r != &self) {
      r->done = true;
      r->cv.notify_one();
    }
  }
  if (!queue_.empty()) queue_.front()->cv.notify_one();  // the next leader
  lock.unlock();
  if (self.error) std::rethrow_exception(self.error);
}

void SqliteWriteQueue::lead(std::span<Request*> batch) {
  std::lock_guard conn(db_mutex_);
  std::int64_t before = db_.total_changes();
  if (batch.size() == 1) {
    run_alone(*batch.front());
  } else if (!run_together(batch)) {
    for (Request* r : batch) run_alone(*r);
  }
  if (db_.total_changes() != before) commits_.fetch_add(1, std::memory_order_acq_rel);
}

bool SqliteWriteQueue::run_together(std::span<Request*> batch) {
  try {
    run_statement(begin_);
  } catch (...) {  // could not get the write lock: every request fails alike
    for (Request* r : batch) r->error = std::current_exception();
    return true;
  }
  transactions_.fetch_add(1, std::memory_order_relaxed);
  for (Request* r : batch) {
    r->error = nullptr;
    try {
      run_statement(savepoint_);
      (*r->work)();
      run_statement(release_);
    } catch (...) {
      r->error = std::current_exception();
      // Some errors (I/O, full disk) make SQLite roll back the whole
      // transaction: then nothing of the batch is left, and it is replayed.
      if (!db_.in_transaction()) return false;
      try {
        run_statement(rollback_to_);
        run_statement(release_);
      } catch (...) {
        rollback();
        return false;
      }
    }
  }
  try {
    run_statement(commit_);
  } catch (...) {
    rollback();
    return false;
  }
  return true;
}

void SqliteWriteQueue::run_alone(Request& r) {
  r.error = nullptr;
  try {
    run_statement(begin_);
  } catch (...) {
    r.error = std::current_exception();
    return;
  }
  transactions_.fetch_add(1, std::memory_order_relaxed);
  try {
    (*r.work)();
    run_statement(commit_);
  } catch (...) {
    r.error = std::current_exception();
    rollback();
  }
}

void SqliteWriteQueue::rollback() noexcept {
  if (!db_.in_transaction()) return;
  try {
    run_statement(rollback_);
  } catch (...) {  // nothing better to do: the connection reports it on next use
  }
}

}  // namespace omniq
