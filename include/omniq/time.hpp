// Time in omniq: UTC instants with microsecond resolution, durations, the
// text form of instants, and the injectable Clock every component reads time
// from.
//
// Instants travel as ISO-8601 UTC text with microseconds and a "+00:00" suffix
// (e.g. "2026-11-26T04:06:42.123456+00:00"); the reader also accepts "Z",
// other offsets, no offset (UTC) and a missing fraction.
//
// Thread-safety: format_time is pure; the system clock and ManualClock are
// safe to share between threads.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace omniq {

using Duration = std::chrono::microseconds;
using Timestamp = std::chrono::sys_time<Duration>;

// Formats an instant as "YYYY-MM-DDTHH:MM:SS.ffffff+00:00" (always the full form,
// so that stored instants compare correctly as text).
std::string format_time(Timestamp t);

// The source of "now" for the queue, the worker pool and the stores.
struct Clock {
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};

// The real UTC clock (one shared instance), the default everywhere a clock is taken.
std::shared_ptr<Clock> system_clock();

// A clock that only moves when told to: tests advance it instead of sleeping.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start);
  Timestamp now() const override { return Timestamp(Duration(now_us_.load())); }
  void set(Timestamp t) { now_us_.store(t.time_since_epoch().count()); }
  void advance(Duration d) { now_us_.fetch_add(d.count()); }

 private:
  std::atomic<Duration::rep> now_us_;
};

}  // namespace omniq
