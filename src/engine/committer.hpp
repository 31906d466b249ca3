// Committer: the one batching layer between the engine and the store.
// Internal to the library.
//
// Every write the engine makes (new tasks, outcomes, claims) is a request.
// Requests that arrive while a write is in progress are gathered and applied
// together by the next one: one Storage::write, so one durable commit for
// all of them. Whoever finds nobody writing leads: a blocking caller
// (submit_wait) writes on its own thread until its own request is written,
// so a lone caller pays no hand-off; then a storage thread drains the rest,
// or, when one waits in a blocking call itself, takes the lead. A callback
// caller (submit) has a storage thread do it. If a write of several requests
// fails, each is written again alone (the one fallback), so one bad
// request's error goes to its own caller only.
//
// Thread-safety: all methods may be called from any thread. A callback runs
// on the writing thread; it may submit() again but must not submit_wait().
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <vector>

#include "omniq/storage.hpp"

namespace asio {
class thread_pool;
}  // namespace asio

namespace omniq {

class Committer {
 public:
  using Done = std::function<void(std::exception_ptr, WriteResult)>;

  // REQUIRES: storage and the storage threads outlive the committer.
  Committer(Storage& storage, asio::thread_pool& threads);

  void submit(WriteBatch request, Done done);
  // Returns the request's result, or rethrows its error.
  WriteResult submit_wait(WriteBatch request);

 private:
  struct Waiter;  // a blocking caller
  struct Pending {
    WriteBatch request;
    Done done;
    Waiter* waiter = nullptr;  // set for a blocking caller's request
  };
  void drain();
  // REQUIRES: mu_ held. Has a storage thread write what is pending, unless
  // someone is writing or a drain is on its way.
  void post_drain_locked();
  // REQUIRES: mu_ held, by a lead whose own request is written. Hands the
  // lead to a blocking caller waiting on a storage thread, else has a drain
  // take the rest.
  void leave_locked();
  // Writes up to kMaxBatch pending requests; false when none was pending.
  bool round();
  void write(std::vector<Pending>& batch);

  Storage& storage_;
  asio::thread_pool& threads_;
  std::mutex mu_;
  std::deque<Pending> pending_;
  bool writing_ = false;       // a thread is writing
  bool drain_posted_ = false;  // a drain waits for a storage thread
};

}  // namespace omniq
