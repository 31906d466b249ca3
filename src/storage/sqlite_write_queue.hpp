// SqliteWriteQueue: group commit for one SQLite write connection.
//
// Every write of the store is a request handed to run(). Requests from
// concurrent threads queue up; the thread whose request is at the front
// becomes the leader, takes every queued request, runs them all in ONE
// BEGIN IMMEDIATE ... COMMIT (one fsync), and wakes the others with their own
// outcome (LevelDB's DBImpl::Write). Each request runs inside its own
// SAVEPOINT, so one that throws is rolled back alone and the others commit.
// If the whole transaction fails (COMMIT fails, or an error made SQLite roll
// it back), the requests are run again one per transaction, so only the
// failing one reports an error.
//
// Thread-safe. Requests must not call run() themselves.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <span>

#include "sqlite_db.hpp"
#include "sqlite_statement.hpp"

namespace omniq {

class SqliteWriteQueue {
 public:
  // `db_mutex` guards `db` against other users of the same connection (the
  // readers of an in-memory database); the leader holds it while it writes.
  SqliteWriteQueue(SqliteDb& db, std::mutex& db_mutex, std::size_t max_batch = 256);

  // Runs `work` inside a write transaction, possibly shared with other
  // callers' requests, and returns once it is committed. `work` may run more
  // than once (when its batch has to be replayed one request at a time), so
  // it must set its outputs afresh each time. Rethrows what `work` threw, or
  // StorageError when the transaction could not be committed.
  void run(const std::function<void()>& work);

  // Transactions that committed changes, for change_counter().
  std::uint64_t commits() const { return commits_.load(std::memory_order_acquire); }
  // Write transactions begun (for tests of batching).
  std::uint64_t transactions() const { return transactions_.load(std::memory_order_relaxed); }
  // Requests queued or being run (for tests of batching).
  std::size_t queued() const;

 private:
  struct Request {
    const std::function<void()>* work;
    std::exception_ptr error;
    bool done = false;
    std::condition_variable cv;
  };

  void lead(std::span<Request*> batch);
  // Runs the batch in one transaction. Returns false, with nothing committed,
  // when the transaction as a whole failed and the batch must be replayed.
  bool run_together(std::span<Request*> batch);
  // Runs one request in its own transaction; its error is recorded in it.
  void run_alone(Request& r);
  void rollback() noexcept;

  SqliteDb& db_;
  std::mutex& db_mutex_;
  std::size_t max_batch_;
  SqliteStatement begin_, commit_, rollback_, savepoint_, release_, rollback_to_;

  mutable std::mutex mu_;
  std::deque<Request*> queue_;
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> transactions_{0};
};

}  // namespace omniq
