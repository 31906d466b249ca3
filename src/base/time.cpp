#include "omniq/time.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "base/task_rules.hpp"
#include "omniq/error.hpp"

namespace omniq {
namespace {

using namespace std::chrono;

// Reads exactly `n` digits at text[pos..]; returns -1 if they are not digits.
int read_digits(std::string_view text, std::size_t pos, std::size_t n) {
  if (pos + n > text.size()) return -1;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

// The units of durations, largest first; "us" divides every duration.
struct Unit {
  long long size;  // microseconds
  std::string_view name;
};
constexpr Unit kUnits[] = {{86400000000LL, "d"}, {3600000000LL, "h"}, {60000000LL, "m"},
                           {1000000LL, "s"},     {1000, "ms"},        {1, "us"}};

[[noreturn]] void bad_time(std::string_view text, const char* why) {
  std::string shown(text.substr(0, 64));
  throw SerializationError("invalid time \"" + shown + "\": " + why +
                           " (expected ISO-8601 like 2026-11-26T04:06:42.123456+00:00)");
}

}  // namespace

std::string format_time(Timestamp t) {
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss<Duration> hms{t - day};
  int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {  // rare: snprintf's %04d handles the sign and width
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%06lld+00:00", year,
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()),
                  static_cast<long long>(hms.subseconds().count()));
    return buf;
  }
  // Written digit by digit: this runs for every time column of every row.
  std::string out = "0000-00-00T00:00:00.000000+00:00";
  auto put = [&out](std::size_t pos, long long value, int digits) {
    for (int i = digits - 1; i >= 0; --i) {
      out[pos + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, year, 4);
  put(5, static_cast<unsigned>(ymd.month()), 2);
  put(8, static_cast<unsigned>(ymd.day()), 2);
  put(11, hms.hours().count(), 2);
  put(14, hms.minutes().count(), 2);
  put(17, hms.seconds().count(), 2);
  put(20, hms.subseconds().count(), 6);
  return out;
}

Timestamp parse_time(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.f{1,6}][Z|+HH:MM|-HH:MM]; no offset is UTC
  if (text.size() < 19) bad_time(text, "too short");
  int y = read_digits(text, 0, 4), mo = read_digits(text, 5, 2), d = read_digits(text, 8, 2);
  int h = read_digits(text, 11, 2), mi = read_digits(text, 14, 2), s = read_digits(text, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':') {
    bad_time(text, "malformed date or time");
  }
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) bad_time(text, "field out of range");
  std::size_t pos = 19;
  long long micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 6) micros = micros * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) bad_time(text, "bad fraction of a second");
    for (std::size_t i = digits; i < 6; ++i) micros *= 10;
  }
  minutes offset{0};
  if (pos == text.size()) {
    // A naive time, as the original's docs write etas: read as UTC.
  } else if (text[pos] == 'Z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    int oh = read_digits(text, pos + 1, 2), om = read_digits(text, pos + 4, 2);
    if (oh < 0 || om < 0 || text[pos + 3] != ':' || oh > 23 || om > 59) {
      bad_time(text, "bad UTC offset");
    }
    offset = hours{oh} + minutes{om};
    if (text[pos] == '-') offset = -offset;
    pos += 6;
  }
  if (pos != text.size()) bad_time(text, "trailing characters");
  return Timestamp{sys_days{ymd}} + hours{h} + minutes{mi} + seconds{s} + Duration{micros} - offset;
}

Duration parse_duration(std::string_view text) {
  auto bad = [&]() -> ConfigError {
    return ConfigError("invalid duration \"" + std::string(text.substr(0, 64)) +
                       "\": expected a non-negative number with an optional unit, e.g. 500ms, "
                       "10s, 5m, 2h, 7d, or 30 (seconds)");
  };
  std::size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  std::string_view number = text.substr(0, i), unit = text.substr(i);
  if (number.empty() || number.size() > 20 || number.find('.') != number.rfind('.')) throw bad();
  double value = 0;
  if (std::sscanf(std::string(number).c_str(), "%lf", &value) != 1) throw bad();
  const Unit* u = std::ranges::find(kUnits, unit.empty() ? "s" : unit, &Unit::name);
  if (u == std::end(kUnits)) throw bad();
  double us = std::round(value * static_cast<double>(u->size));
  // Cap at ~100 years: enough for any schedule, far from overflow.
  if (!std::isfinite(us) || us > 3.2e15) throw bad();
  return Duration{static_cast<Duration::rep>(us)};
}

std::string format_duration(Duration d) {
  auto us = d.count();
  if (us == 0) return "0s";
  const Unit* u =
      std::ranges::find_if(kUnits, [us](const Unit& unit) { return us % unit.size == 0; });
  return std::to_string(us / u->size) + std::string(u->name);
}

double to_seconds(Duration d) {
  return static_cast<double>(d.count()) / 1e6;
}

Duration from_seconds(double seconds) {
  return Duration{static_cast<Duration::rep>(std::llround(seconds * 1e6))};
}

namespace {

class SystemClock final : public Clock {
 public:
  Timestamp now() const override;
};

}  // namespace

Timestamp SystemClock::now() const {
  return time_point_cast<Duration>(system_clock::now());
}

std::shared_ptr<Clock> system_clock() {
  static const std::shared_ptr<Clock> clock = std::make_shared<SystemClock>();
  return clock;
}

ManualClock::ManualClock(Timestamp start) : now_us_(start.time_since_epoch().count()) {}

}  // namespace omniq
