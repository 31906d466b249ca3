// Time in omniq: UTC instants with microsecond resolution, durations, their
// text forms, and the injectable Clock every component reads time from.
//
// Instants travel as ISO-8601 UTC text with microseconds and a "+00:00" suffix
// (e.g. "2026-11-26T04:06:42.123456+00:00"); the reader also accepts "Z",
// other offsets, no offset (UTC) and a missing fraction. Durations on the
// command line and in the environment are written "500ms", "10s", "5m", "2h",
// "7d" or a plain number of seconds.
//
// Thread-safety: the free functions are pure; SystemClock and ManualClock are
// safe to share between threads.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace omniq {

using Duration = std::chrono::microseconds;
using Timestamp = std::chrono::sys_time<Duration>;

// Formats an instant as "YYYY-MM-DDTHH:MM:SS.ffffff+00:00" (always the full form,
// so that stored instants compare correctly as text).
std::string format_time(Timestamp t);

// Parses the forms format_time writes, plus "Z" / "+00:00" / other offsets,
// no offset at all (a naive time, read as UTC) and 0-6 fraction digits.
// Throws SerializationError naming the text otherwise.
Timestamp parse_time(std::string_view text);

// Parses "500ms", "10s", "5m", "2h", "7d", "1.5s" or "30" (seconds). Throws
// ConfigError naming the text and the accepted forms. Negative values are refused.
Duration parse_duration(std::string_view text);

// Formats a duration in the largest unit that divides it ("1500ms", "90s", "2h").
std::string format_duration(Duration d);

// Seconds as a double, and back (rounded to the microsecond).
double to_seconds(Duration d);
Duration from_seconds(double seconds);

// The source of "now" for the queue, the worker pool and the stores.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};

// The real UTC clock.
class SystemClock final : public Clock {
 public:
  Timestamp now() const override;
};

// The shared instance of SystemClock, the default everywhere a clock is taken.
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
