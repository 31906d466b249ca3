#include "engine/attempt.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/post.hpp>

#include "omniq/detail/async_call.hpp"

namespace omniq {

Attempt::Attempt(Task task, std::shared_ptr<const Handler> handler, asio::any_io_executor executor,
                 Duration timeout_grace)
    : task_(std::move(task)),
      handler_(std::move(handler)),
      executor_(executor),
      timeout_grace_(timeout_grace),
      context_(task_, stop_source_.get_token()),
      timeout_timer_(std::make_unique<asio::steady_timer>(executor)),
      grace_timer_(std::make_unique<asio::steady_timer>(executor)) {}

asio::awaitable<AttemptResult> Attempt::run(SyncThreads& threads) {
  auto self = shared_from_this();
  if (task_.timeout) {
    timeout_timer_->expires_after(std::chrono::microseconds(task_.timeout->count()));
    timeout_timer_->async_wait([self](std::error_code ec) {
      if (!ec) self->stop(StopReason::timeout);
    });
  }
  if (handler_->is_async()) {
    start_async();
  } else {
    start_sync(threads);
  }
  auto wait = [self](auto done) {
    std::lock_guard lock(self->mu_);
    if (self->result_) {
      done(nullptr, std::move(*self->result_));
    } else {
      self->waiter_ = std::move(done);
    }
  };
  AttemptResult r = co_await detail::async_call<AttemptResult>(wait);
  timeout_timer_.reset();
  grace_timer_.reset();
  executor_ = asio::any_io_executor();
  co_return r;
}

void Attempt::start_sync(SyncThreads& threads) {
  auto self = shared_from_this();
  threads.post([self] {
    AttemptResult r;
    try {
      r.value = self->handler_->sync(self->context_);
    } catch (...) {
      r = self->from_exception(std::current_exception());
    }
    self->complete(std::move(r));
  });
}

void Attempt::start_async() {
  auto self = shared_from_this();
  asio::co_spawn(
      executor_,
      [self]() -> asio::awaitable<Value> {
        co_return co_await self->handler_->async(self->context_);
      },
      asio::bind_cancellation_slot(cancel_async_.slot(), [self](std::exception_ptr e, Value v) {
        AttemptResult r;
        if (e) {
          r = self->from_exception(e);
        } else {
          r.value = std::move(v);
        }
        self->complete(std::move(r));
      }));
}

void Attempt::stop(StopReason reason) {
  {
    std::lock_guard lock(mu_);
    if (result_ || reason_ != StopReason::none) return;
    reason_ = reason;
  }
  stop_source_.request_stop();
  if (handler_->is_async()) {
    cancel_async_.emit(asio::cancellation_type::terminal);
    return;
  }
  auto self = shared_from_this();
  grace_timer_->expires_after(std::chrono::microseconds(timeout_grace_.count()));
  grace_timer_->async_wait([self](std::error_code ec) {
    if (ec) return;
    {
      std::lock_guard lock(self->mu_);
      if (self->result_) return;
      self->abandoned_ = true;
    }
    AttemptResult r = self->for_stop();
    r.abandoned = true;
    self->complete(std::move(r));
  });
}

bool Attempt::abandoned() const {
  std::lock_guard lock(mu_);
  return abandoned_;
}

void Attempt::complete(AttemptResult r) {
  std::function<void(std::exception_ptr, AttemptResult)> waiter;
  {
    std::lock_guard lock(mu_);
    if (result_) return;  // someone completed it first; a late result is dropped
    // Once stopped, the reason decides the outcome, whatever the handler did
    // after being told; only work finished during a shutdown still counts.
    bool finished_anyway =
        reason_ == StopReason::shutdown && r.kind == AttemptResult::Kind::success;
    if (reason_ != StopReason::none && !finished_anyway) {
      bool abandoned = r.abandoned;
      r = for_stop();
      r.abandoned = abandoned;
    }
    // Never copy the result: copying a hostile (deeply nested) value recurses.
    waiter = std::move(waiter_);
    if (waiter) {
      result_.emplace();  // only marks the attempt complete; r goes to the waiter
    } else {
      result_ = std::move(r);  // run() takes it when it waits
    }
  }
  if (waiter) waiter(nullptr, std::move(r));
}

AttemptResult Attempt::from_exception(std::exception_ptr e) const {
  AttemptResult r;
  r.kind = AttemptResult::Kind::failure;
  bool retryable = true;
  try {
    std::rethrow_exception(e);
  } catch (const ArgumentError&) {
    retryable = false;
  } catch (const PermanentError&) {
    retryable = false;
  } catch (...) {
  }
  r.error = TaskError::from_exception(e, Timestamp{}, 0, retryable);
  if (r.error->error_type == "omniq::ArgumentError") r.error->error_type = "ArgumentError";
  return r;
}

AttemptResult Attempt::for_stop() const {
  AttemptResult r;
  switch (reason_) {
    case StopReason::timeout:
      r.kind = AttemptResult::Kind::timeout;
      r.error = TaskError{"TimeoutError",
                          "attempt " + std::to_string(task_.attempts) + " ran longer than its " +
                              format_duration(task_.timeout.value_or(Duration{})) + " timeout",
                          Timestamp{},
                          std::nullopt,
                          0,
                          true};
      break;
    case StopReason::cancel:
      r.kind = AttemptResult::Kind::cancelled;
      break;
    case StopReason::shutdown:
      r.kind = AttemptResult::Kind::shutdown;
      break;
    case StopReason::lost:
    case StopReason::none:
      r.kind = AttemptResult::Kind::lost;
      break;
  }
  return r;
}

}  // namespace omniq
