// Committer: the one batching layer between the engine and the store.
// Internal to the library.
//
// Every write the engine makes (new tasks, outcomes, claims) is a request.
// Requests that arrive while a write is in progress are gathered and applied
// together by the next one: one Storage::write, so one durable commit for
// all of them. Whoever finds nobody writing leads: a blocking caller
// (submit_wait) writes on its own thread until its own request is written,
// so a lone caller pays no hand-off; the rest, and what callback callers
// (submit) ask, the committer's own thread writes. That thread never waits
// for a write, so it is free however many threads wait in submit_wait. If a
// write of several requests fails, each is written again alone (the one
// fallback), so one bad request's error goes to its own caller only.
//
// Thread-safety: all methods may be called from any thread. A callback runs
// on the writing thread; it may submit() again but must not submit_wait().
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
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

  // REQUIRES: storage outlives the committer.
  explicit Committer(Storage& storage);
  ~Committer();  // writes what is pending, then joins its thread

  void submit(WriteBatch request, Done done);
  // Returns the request's result, or rethrows its error.
  WriteResult submit_wait(WriteBatch request);

 private:
  struct Pending {
    WriteBatch request;
    Done done;
  };
  void drain();
  // REQUIRES: mu_ held. Has the committer's thread write what is pending,
  // unless someone is writing or a drain is on its way.
  void post_drain_locked();
  // Writes up to kMaxBatch pending requests; false when none was pending.
  bool round();
  void write(std::vector<Pending>& batch);

  Storage& storage_;
  std::unique_ptr<asio::thread_pool> writer_;  // one thread
  std::mutex mu_;
  std::deque<Pending> pending_;
  bool writing_ = false;       // a thread is writing
  bool drain_posted_ = false;  // a drain waits for the committer's thread
};

}  // namespace omniq
