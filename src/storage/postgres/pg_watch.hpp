// PgWatch: the ChangeWatch of a PostgresStorage. It owns a connection of its
// own that LISTENs on the store's channel (named after its schema), on which
// every enqueue sends one notification per queue; fd() is that connection's
// socket. When the connection breaks, consume() connects again and LISTENs
// anew; while that fails, fd() is a timer that becomes readable when the next
// attempt is due, so a caller polling fd() neither spins nor stalls.
// Internal to the PostgreSQL backend.
//
// Not thread-safe: one idle loop owns a watch.
#pragma once

#include <chrono>
#include <memory>

#include "omniq/storage.hpp"
#include "pg_session.hpp"

namespace omniq {

class PgWatch final : public ChangeWatch {
 public:
  // Connects and LISTENs, or arms the timer when it cannot. Never throws
  // for an unreachable database.
  explicit PgWatch(PgTarget target);
  ~PgWatch() override;
  PgWatch(const PgWatch&) = delete;
  PgWatch& operator=(const PgWatch&) = delete;

  int fd() const override;
  // Drains the notifications that arrived; reconnects when the connection
  // broke or the timer fired. Blocks at most for one attempt to connect
  // (2 s at most).
  void consume() override;

 private:
  void reconnect();
  void arm_timer(std::chrono::milliseconds after);

  PgTarget target_;
  std::unique_ptr<PgConnection> conn_;
  int timer_ = -1;  // a timerfd
  std::chrono::milliseconds pause_{0};
};

}  // namespace omniq
