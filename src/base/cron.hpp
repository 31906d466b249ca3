// Cron: five-field cron expressions and their next fire times in an IANA time
// zone. Internal to the library.
//
// Fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12 or
// JAN-DEC), day of week (0-7 or SUN-SAT, 0 and 7 both Sunday; names in any
// case); each a `*`, a value, a range `a-b`, a step `*/n`, `a-b/n` or `a/n`
// (from a to the field's maximum), or a comma list of these. Fields are
// separated by runs of spaces or tabs. Day of month and day of week: when both
// are restricted (neither is literally `*`), a day matching either fires (the
// Vixie cron rule); `*/1` counts as restricted. Macros: @yearly (@annually),
// @monthly, @weekly, @daily (@midnight), @hourly.
//
// Fire times are wall-clock minutes in the time zone (seconds and microseconds
// always zero there), mapped to instants as follows. A wall-clock time that
// does not exist (spring forward) fires once, at the instant the clock jumps
// (03:00 local for 02:30 on a 02:00->03:00 change); several such times (e.g.
// 02:00 and 02:30) all fire at that one instant, once. A wall-clock time that
// occurs twice (fall back) fires once, at its first occurrence; this holds for
// every minute, so `30 * * * *` fires at 01:30 EDT but not at 01:30 EST, and
// `* * * * *` is silent for the repeated hour.
//
// The tz database is the OS's (/usr/share/zoneinfo, read by Howard Hinnant's
// date library), which lists transitions only up to 2037: later instants use
// the zone's last offset (standard time in most zones).
//
// Thread-safety: a Cron is an immutable value.
#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "omniq/time.hpp"

namespace omniq {

class Cron {
 public:
  // Parses an expression. Throws ValidationError naming the field and the
  // offending value, and what would be accepted.
  static Cron parse(std::string_view expression);

  // The first fire time strictly after `after`, in time zone `tz` (an IANA
  // name; empty = UTC). Throws ValidationError for an unknown time zone, for
  // an expression that never fires (no matching day within 9 years, e.g.
  // "0 0 31 2 *"), and for `after` outside the years 0001-9989.
  Timestamp next(Timestamp after, std::string_view tz) const;

  // The expression as given, without leading and trailing whitespace.
  const std::string& expression() const { return expression_; }

 private:
  // The first wall-clock minute at or after `from` that matches, or nullopt if
  // none is before `limit`. Both count minutes since 1970-01-01 00:00 local.
  std::optional<std::chrono::minutes> next_match(std::chrono::minutes from,
                                                 std::chrono::minutes limit) const;

  std::string expression_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1-31
  std::bitset<13> months_;   // 1-12
  std::bitset<7> weekdays_;  // 0-6, Sunday = 0
  bool days_restricted_ = false;
  bool weekdays_restricted_ = false;
};

// Throws ValidationError unless `tz` names a time zone this machine knows or is
// empty (UTC, as for Cron::next).
void validate_timezone(std::string_view tz);

}  // namespace omniq
