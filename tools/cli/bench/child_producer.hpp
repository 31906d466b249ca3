// ChildProducer: a producer in a second process, for cross-process latency
// (or another drain worker, for the throughput mode's --workers).
// The child is forked at construction (call it while this process still has
// a single thread: a fork copies only the calling thread), then waits for
// go() before it runs its body, so the parent can set up the store and an
// idle worker pool first. The child never returns into the parent's code: it
// ends with _exit (0 when the body returned, 1 when it threw or the parent
// went away).
#pragma once

#include <sys/types.h>

#include <functional>

namespace omniq::cli::bench {

class ChildProducer {
 public:
  // Throws std::runtime_error when the process cannot be forked.
  explicit ChildProducer(std::function<void()> body);
  ~ChildProducer();  // ends the child (if go() never came) and reaps it
  ChildProducer(const ChildProducer&) = delete;
  ChildProducer& operator=(const ChildProducer&) = delete;

  // Lets the child run its body.
  void go();
  // Waits for the child to exit; returns true when its body succeeded.
  bool wait();

 private:
  pid_t pid_ = -1;
  int go_fd_ = -1;
  bool reaped_ = false;
  bool ok_ = false;
};

}  // namespace omniq::cli::bench
