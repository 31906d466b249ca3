#include "pg_watch.hpp"

#include <spdlog/spdlog.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/log_events.hpp"
#include "pg_result.hpp"

namespace omniq {
namespace {

constexpr std::chrono::milliseconds kMaxConnectTime{2000};

}  // namespace

PgWatch::PgWatch(PgTarget target) : target_(std::move(target)) {
  timer_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer_ < 0) {
    throw StorageError(std::string("cannot create a timer for the PostgreSQL watch: ") +
                       std::strerror(errno));
  }
  reconnect();
}

PgWatch::~PgWatch() {
  ::close(timer_);
}

int PgWatch::fd() const {
  return conn_ ? conn_->socket() : timer_;
}

void PgWatch::consume() {
  if (conn_) {
    try {
      conn_->notifications();
      return;
    } catch (const PgError& e) {
      logger()->warn("PostgreSQL watch lost its connection, reconnecting: {}", e.what());
    }
  } else {
    std::uint64_t expirations = 0;
    [[maybe_unused]] auto n = ::read(timer_, &expirations, sizeof expirations);
  }
  reconnect();
}

void PgWatch::reconnect() {
  conn_.reset();
  auto limit = std::min(std::chrono::duration_cast<std::chrono::milliseconds>(target_.timeout),
                        kMaxConnectTime);
  Deadline deadline = std::chrono::steady_clock::now() + limit;
  try {
    conn_ = open_session(target_, deadline);
    conn_->exec("LISTEN " + target_.quoted_schema(), deadline);
    pause_ = std::chrono::milliseconds{0};
  } catch (const PgError& e) {
    conn_.reset();
    pause_ = next_pause(pause_);
    logger()->warn("PostgreSQL watch cannot listen (next attempt in {} ms): {}", pause_.count(),
                   e.what());
    arm_timer(pause_);
  }
}

void PgWatch::arm_timer(std::chrono::milliseconds after) {
  itimerspec spec{};
  spec.it_value.tv_sec = after.count() / 1000;
  spec.it_value.tv_nsec = (after.count() % 1000) * 1000000;
  ::timerfd_settime(timer_, 0, &spec, nullptr);
}

}  // namespace omniq
