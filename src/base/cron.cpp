#include "base/cron.hpp"

#include <date/tz.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "omniq/error.hpp"

namespace omniq {
namespace {

using std::chrono::minutes;
using LocalMinutes = date::local_time<minutes>;

constexpr std::size_t kMaxLength = 256;
// A Feb 29 can be 8 years after the previous one (2096 -> 2104), so any
// expression that fires at all fires within this window.
constexpr date::days kSearchWindow{9 * 366};
constexpr date::sys_days kEarliest = date::year{1} / 1 / 1;
constexpr date::sys_days kLatest = date::year{9990} / 1 / 1;

struct FieldSpec {
  const char* name;
  int min, max;
  const char* accepted;    // for messages
  std::string_view names;  // three letters each for min, min + 1, ...
};

constexpr FieldSpec kFields[5] = {
    {"minute", 0, 59, "0-59", ""},
    {"hour", 0, 23, "0-23", ""},
    {"day of month", 1, 31, "1-31", ""},
    {"month", 1, 12, "1-12 or JAN-DEC", "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC"},
    {"day of week", 0, 7, "0-7 or SUN-SAT", "SUNMONTUEWEDTHUFRISAT"},
};

constexpr std::pair<std::string_view, std::string_view> kMacros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

char upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, {}, upper, upper);
}

// `text` for a message: at most 64 bytes, control and non-ASCII bytes as '?'.
std::string printable(std::string_view text) {
  std::string out(text.substr(0, 64));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return text.size() > 64 ? out + "..." : out;
}

[[noreturn]] void fail(std::string_view expression, const std::string& why) {
  throw ValidationError("cron expression \"" + printable(expression) + "\": " + why);
}

// One field being parsed, for its error messages.
struct Field {
  std::string_view expression;
  const FieldSpec& spec;
  std::string_view text;

  [[noreturn]] void fail(const std::string& why) const {
    omniq::fail(expression, std::string(spec.name) + " \"" + printable(text) + "\": " + why);
  }
};

// `token` as a number (1000 if larger), or nullopt if it is not all digits.
std::optional<int> number(std::string_view token) {
  int v = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return std::nullopt;
    v = std::min(v * 10 + (c - '0'), 1000);
  }
  return token.empty() ? std::nullopt : std::optional<int>(v);
}

// A value: digits, or a three-letter name in the month and day of week fields.
int parse_value(const Field& f, std::string_view token) {
  std::string expected = std::string("; expected ") + f.spec.accepted;
  if (token.empty()) f.fail("a value is missing" + expected);
  for (std::size_t i = 0; i < f.spec.names.size(); i += 3) {
    if (iequals(token, f.spec.names.substr(i, 3))) return f.spec.min + static_cast<int>(i / 3);
  }
  std::optional<int> v = number(token);
  std::string shown = "\"" + printable(token) + "\"";
  if (!v)
    f.fail(shown + " is not a number" + (f.spec.names.empty() ? "" : " or a name") + expected);
  if (*v < f.spec.min || *v > f.spec.max) f.fail(shown + " is out of range" + expected);
  return *v;
}

int parse_step(const Field& f, std::string_view token) {
  int span = f.spec.max - f.spec.min + 1;
  std::string expected = "a step must be a number from 1 to " + std::to_string(span);
  std::optional<int> v = number(token);
  if (!v)
    f.fail(token.empty() ? expected
                         : "step \"" + printable(token) + "\" is not a number; " + expected);
  if (*v == 0) f.fail("a step must be 1 or more");
  if (*v > span) f.fail("step " + std::to_string(*v) + " is too large; " + expected);
  return *v;
}

// Sets the bits of one list item: "*", "5", "1-5", "*/15", "1-30/2" or "10/5".
void parse_item(const Field& f, std::string_view item, std::uint64_t& mask) {
  if (item.empty()) f.fail("an empty list item; expected a value, range or step between commas");
  std::string_view range = item.substr(0, item.find('/'));
  bool stepped = range.size() < item.size();
  int step = stepped ? parse_step(f, item.substr(range.size() + 1)) : 1;
  int lo = f.spec.min, hi = f.spec.max;
  if (range != "*") {
    std::size_t dash = range.find('-');
    lo = parse_value(f, range.substr(0, dash));
    if (dash != std::string_view::npos) {
      hi = parse_value(f, range.substr(dash + 1));
      if (lo > hi)
        f.fail("range \"" + printable(range) + "\" is reversed; write the smaller end first");
    } else if (!stepped) {
      hi = lo;
    }
  }
  for (int v = lo; v <= hi; v += step) mask |= std::uint64_t{1} << v;
}

// The pieces of `text` between separators, empty ones included.
template <typename IsSeparator>
std::vector<std::string_view> split(std::string_view text, IsSeparator is_separator) {
  std::vector<std::string_view> pieces;
  for (std::size_t start = 0, i = 0; i <= text.size(); ++i) {
    if (i < text.size() && !is_separator(text[i])) continue;
    pieces.push_back(text.substr(start, i - start));
    start = i + 1;
  }
  return pieces;
}

// The index of the first set bit at or after `from`, or -1.
template <std::size_t N>
int next_set(const std::bitset<N>& bits, int from) {
  for (int i = from; i < static_cast<int>(N); ++i) {
    if (bits[static_cast<std::size_t>(i)]) return i;
  }
  return -1;
}

const date::time_zone* find_zone(std::string_view tz) {
  try {
    return date::locate_zone(tz);
  } catch (const std::runtime_error&) {
    throw ValidationError("unknown time zone \"" + printable(tz) +
                          "\"; expected an IANA name such as UTC, Europe/Berlin or "
                          "America/New_York");
  }
}

// The instant of wall-clock minute `local`: its first occurrence if it occurs
// twice, the end of the gap if it does not occur.
Timestamp to_instant(LocalMinutes local, const date::time_zone* zone) {
  if (zone == nullptr) return Timestamp{local.time_since_epoch()};
  date::local_info info = zone->get_info(local);
  if (info.result == date::local_info::nonexistent) return Timestamp{info.second.begin};
  return Timestamp{local.time_since_epoch() - info.first.offset};
}

}  // namespace

Cron Cron::parse(std::string_view expression) {
  if (expression.size() > kMaxLength) {
    fail(expression, "is " + std::to_string(expression.size()) + " bytes long; at most " +
                         std::to_string(kMaxLength) + " are accepted");
  }
  std::string_view text = expression;
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  if (text.starts_with('@')) {
    for (const auto& [name, expansion] : kMacros) {
      if (!iequals(text, name)) continue;
      Cron cron = parse(expansion);
      cron.expression_ = text;
      return cron;
    }
    fail(expression, "unknown macro \"" + printable(text) +
                         "\"; expected @yearly, @annually, @monthly, @weekly, @daily, "
                         "@midnight or @hourly");
  }
  std::vector<std::string_view> fields = split(text, is_blank);
  std::erase(fields, "");  // runs of blanks
  if (fields.size() != 5) {
    fail(expression,
         "expected 5 fields (minute hour day-of-month month day-of-week) or a macro "
         "such as @daily, got " +
             std::to_string(fields.size()));
  }
  std::uint64_t masks[5] = {};
  for (std::size_t i = 0; i < 5; ++i) {
    Field field{expression, kFields[i], fields[i]};
    for (std::string_view item : split(field.text, [](char c) { return c == ','; })) {
      parse_item(field, item, masks[i]);
    }
  }
  Cron cron;
  cron.expression_ = text;
  cron.minutes_ = std::bitset<60>(masks[0]);
  cron.hours_ = std::bitset<24>(masks[1]);
  cron.days_ = std::bitset<32>(masks[2]);
  cron.months_ = std::bitset<13>(masks[3]);
  cron.weekdays_ = std::bitset<7>(masks[4] | (masks[4] >> 7));  // 7 is Sunday too
  cron.days_restricted_ = fields[2] != "*";
  cron.weekdays_restricted_ = fields[4] != "*";
  return cron;
}

std::optional<minutes> Cron::next_match(minutes from, minutes limit) const {
  for (LocalMinutes t{from}; t.time_since_epoch() < limit;) {
    date::local_days day = date::floor<date::days>(t);
    date::year_month_day ymd{day};
    if (!months_[static_cast<unsigned>(ymd.month())]) {
      t = date::local_days{(ymd.year() / ymd.month() + date::months{1}) / 1};
      continue;
    }
    bool dom = days_[static_cast<unsigned>(ymd.day())];
    bool dow = weekdays_[date::weekday{day}.c_encoding()];
    if (days_restricted_ && weekdays_restricted_ ? !(dom || dow) : !(dom && dow)) {
      t = day + date::days{1};
      continue;
    }
    auto since_midnight = static_cast<int>((t - day).count());
    int hour = next_set(hours_, since_midnight / 60);
    if (hour < 0) {
      t = day + date::days{1};
    } else if (hour > since_midnight / 60) {
      t = day + std::chrono::hours{hour};
    } else if (int minute = next_set(minutes_, since_midnight % 60); minute < 0) {
      t = day + std::chrono::hours{hour + 1};
    } else {
      return (day + std::chrono::hours{hour} + minutes{minute}).time_since_epoch();
    }
  }
  return std::nullopt;
}

Timestamp Cron::next(Timestamp after, std::string_view tz) const {
  const date::time_zone* zone = tz.empty() ? nullptr : find_zone(tz);
  if (after < kEarliest || after >= kLatest) {
    throw ValidationError("cron expression \"" + printable(expression_) +
                          "\": cannot compute a fire time after the instant " +
                          std::to_string(after.time_since_epoch().count()) +
                          " us since 1970; expected one in the years 0001-9989");
  }
  auto after_seconds = date::floor<std::chrono::seconds>(after);
  date::local_seconds local =
      zone ? zone->to_local(after_seconds) : date::local_seconds{after_seconds.time_since_epoch()};
  minutes from = date::floor<minutes>(local).time_since_epoch() + minutes{1};
  minutes limit = from + kSearchWindow;
  // Wall-clock minutes map to instants in the same order, so the first match
  // whose instant is after `after` is the answer. Matches before it are the
  // second half of a repeated hour, or a gap's minutes that share its end.
  while (std::optional<minutes> match = next_match(from, limit)) {
    Timestamp t = to_instant(LocalMinutes{*match}, zone);
    if (t > after) return t;
    from = *match + minutes{1};
  }
  throw ValidationError("cron expression \"" + printable(expression_) +
                        "\" never fires: no date within 9 years matches its day of month, "
                        "month and day of week");
}

void validate_timezone(std::string_view tz) {
  if (!tz.empty()) find_zone(tz);
}

}  // namespace omniq
