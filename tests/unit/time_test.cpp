#include "omniq/time.hpp"

#include <gtest/gtest.h>

#include "base/task_rules.hpp"
#include "omniq/error.hpp"

namespace omniq {
namespace {

using namespace std::chrono;

TEST(Time, FormatsFullMicrosecondFormWithOffset) {
  Timestamp t = sys_days{2026y / November / 26} + 4h + 6min + 42s + microseconds(123456);
  EXPECT_EQ(format_time(t), "2026-11-26T04:06:42.123456+00:00");
  EXPECT_EQ(format_time(sys_days{2026y / January / 1}), "2026-01-01T00:00:00.000000+00:00");
}

TEST(Time, ParsesEveryFormTheOriginalWrites) {
  Timestamp t = sys_days{2026y / November / 26} + 4h + 6min + 42s;
  EXPECT_EQ(parse_time("2026-11-26T04:06:42+00:00"), t);
  EXPECT_EQ(parse_time("2026-11-26T04:06:42Z"), t);
  EXPECT_EQ(parse_time("2026-11-26T04:06:42.000000+00:00"), t);
  EXPECT_EQ(parse_time("2026-11-26T04:06:42.5Z"), t + milliseconds(500));
  EXPECT_EQ(parse_time("2026-11-26T06:06:42+02:00"), t);
  EXPECT_EQ(parse_time("2026-11-26 04:06:42.000001+00:00"), t + microseconds(1));
}

TEST(Time, ReadsATimeWithoutOffsetAsUtc) {
  Timestamp t = sys_days{2026y / November / 30} + 2h + 39min + 30s + microseconds(195842);
  EXPECT_EQ(parse_time("2026-11-30T02:39:30.195842"), t);
  EXPECT_EQ(parse_time("2026-11-30T02:39:30"), t - microseconds(195842));
  EXPECT_EQ(parse_time("2026-11-30T04:39:30.195842+02:00"), t);
}

TEST(Time, RoundTripsToTheMicrosecond) {
  Timestamp t = sys_days{1999y / December / 31} + 23h + 59min + 59s + microseconds(999999);
  EXPECT_EQ(parse_time(format_time(t)), t);
}

TEST(Time, FullFormSortsAsText) {
  Timestamp a = sys_days{2026y / March / 1} + 9s;
  Timestamp b = a + microseconds(1);
  EXPECT_LT(format_time(a), format_time(b));
}

TEST(Time, RejectsMalformedText) {
  for (const char* bad :
       {"", "2026-11-26", "2026-11-26T04:06", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
        "2026-11-26T25:00:00Z", "2026-11-26T04:06:42.Z", "2026-11-26T04:06:42+0000",
        "2026-11-26T04:06:42Zjunk", "2026-11-26T04:06:42 ", "2026-11-26T04:06:42.",
        "garbage-and-more-garbage"}) {
    EXPECT_THROW(parse_time(bad), SerializationError) << bad;
  }
}

TEST(Duration, ParsesEveryUnit) {
  EXPECT_EQ(parse_duration("500ms"), milliseconds(500));
  EXPECT_EQ(parse_duration("10s"), seconds(10));
  EXPECT_EQ(parse_duration("5m"), minutes(5));
  EXPECT_EQ(parse_duration("2h"), hours(2));
  EXPECT_EQ(parse_duration("7d"), hours(24 * 7));
  EXPECT_EQ(parse_duration("30"), seconds(30));
  EXPECT_EQ(parse_duration("1.5s"), milliseconds(1500));
  EXPECT_EQ(parse_duration("0"), seconds(0));
}

TEST(Duration, RejectsBadTextAndSaysWhatIsAccepted) {
  for (const char* bad :
       {"", "abc", "-3", "10x", "1.2.3s", "s", "5 m", "1e999", "99999999999999999999d"}) {
    try {
      parse_duration(bad);
      FAIL() << "accepted " << bad;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("500ms"), std::string::npos) << e.what();
    }
  }
}

TEST(Duration, FormatsInTheLargestWholeUnit) {
  EXPECT_EQ(format_duration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(format_duration(seconds(90)), "90s");
  EXPECT_EQ(format_duration(hours(2)), "2h");
  EXPECT_EQ(format_duration(microseconds(7)), "7us");
  EXPECT_EQ(parse_duration(format_duration(minutes(5))), minutes(5));
}

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock clock(Timestamp{} + hours(1));
  EXPECT_EQ(clock.now(), Timestamp{} + hours(1));
  clock.advance(seconds(3));
  EXPECT_EQ(clock.now(), Timestamp{} + hours(1) + seconds(3));
  clock.set(Timestamp{});
  EXPECT_EQ(clock.now(), Timestamp{});
}

}  // namespace
}  // namespace omniq
