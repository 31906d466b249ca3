// Fuzz target: cron expressions. Cron::parse either throws ValidationError
// (with a short, printable message) or returns a Cron whose own expression
// parses again. For each instant below, in UTC, America/New_York and
// Europe/Berlin (around their 2026 daylight-saving changes), next either
// throws ValidationError (an expression that never fires) or returns a whole
// minute strictly after the instant and at most 9 years later, and asking
// again from just before that minute gives the same minute.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "base/cron.hpp"
#include "omniq/error.hpp"
#include "omniq/time.hpp"

namespace {

using namespace std::chrono;

constexpr sys_days kDays[] = {2026y / 1 / 1,  2026y / 3 / 8,   2026y / 3 / 29,  2026y / 10 / 25,
                              2026y / 11 / 1, 2027y / 12 / 31, 1999y / 12 / 31, 2096y / 2 / 28};
// 00:59:59.999999 UTC is just before Berlin's gap on 2026-03-29 and inside its
// repeated hour on 2026-10-25; 06:00:59 UTC is just before New York's gap on
// 2026-03-08 and inside its repeated hour on 2026-11-01.
constexpr omniq::Duration kTimesOfDay[] = {hours{1} - microseconds{1}, hours{6} + seconds{59}};

bool short_and_printable(std::string_view message) {
  if (message.size() > 400) return false;
  for (char c : message) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<omniq::Cron> cron;
  try {
    cron = omniq::Cron::parse(text);
  } catch (const omniq::ValidationError& e) {
    if (!short_and_printable(e.what())) std::abort();
    return 0;
  }
  omniq::Cron::parse(cron->expression());
  for (std::string_view tz : {"", "America/New_York", "Europe/Berlin"}) {
    for (sys_days day : kDays) {
      for (omniq::Duration time_of_day : kTimesOfDay) {
        omniq::Timestamp after = day + time_of_day;
        omniq::Timestamp t;
        try {
          t = cron->next(after, tz);
        } catch (const omniq::ValidationError& e) {
          std::string_view message = e.what();
          if (!short_and_printable(message) || message.find("never fires") == message.npos) {
            std::abort();
          }
          continue;
        }
        if (t <= after || t - after > days{9 * 366} || t.time_since_epoch() % minutes{1} != 0us) {
          std::abort();
        }
        if (cron->next(t - microseconds{1}, tz) != t) std::abort();
      }
    }
  }
  return 0;
}
