#include "base/cron.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <initializer_list>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "base/task_rules.hpp"
#include "omniq/error.hpp"

namespace omniq {
namespace {

using namespace std::chrono;
using testing::HasSubstr;

// An instant written with any offset ("2026-03-29T03:00:00+02:00") as UTC text.
std::string utc(std::string_view text) {
  return format_time(parse_time(text));
}

std::vector<std::string> utc(std::initializer_list<std::string_view> texts) {
  std::vector<std::string> out;
  for (std::string_view text : texts) out.push_back(utc(text));
  return out;
}

// The next `n` fire times of `expression` after `after`, as UTC text. Checks
// that each is later than the one before and falls on a whole minute.
std::vector<std::string> fires(std::string_view expression, std::string_view after, int n,
                               std::string_view tz = "") {
  Cron cron = Cron::parse(expression);
  std::vector<std::string> out;
  Timestamp t = parse_time(after);
  for (int i = 0; i < n; ++i) {
    Timestamp next = cron.next(t, tz);
    EXPECT_GT(next, t) << expression;
    EXPECT_EQ(next.time_since_epoch() % minutes{1}, Duration{0}) << expression;
    out.push_back(format_time(next));
    t = next;
  }
  return out;
}

std::string next_fire(std::string_view expression, std::string_view after,
                      std::string_view tz = "") {
  return fires(expression, after, 1, tz).at(0);
}

// The message of the ValidationError that parsing `expression` throws.
std::string parse_error(std::string_view expression) {
  try {
    Cron::parse(expression);
  } catch (const ValidationError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ValidationError for \"" << expression << "\"";
  return "";
}

// --- Field forms -----------------------------------------------------------

TEST(Cron, EveryMinuteFiresAtTheNextWholeMinute) {
  EXPECT_EQ(fires("* * * * *", "2026-05-04T10:15:30.250000Z", 3),
            utc({"2026-05-04T10:16:00Z", "2026-05-04T10:17:00Z", "2026-05-04T10:18:00Z"}));
}

TEST(Cron, AFixedMinuteAndHourFiresOnceADay) {
  EXPECT_EQ(fires("30 9 * * *", "2026-05-04T12:00:00Z", 2),
            utc({"2026-05-05T09:30:00Z", "2026-05-06T09:30:00Z"}));
  EXPECT_EQ(next_fire("30 9 * * *", "2026-05-04T09:29:00Z"), utc("2026-05-04T09:30:00Z"));
}

TEST(Cron, NextIsStrictlyAfterAnInstantThatIsItselfAFireTime) {
  EXPECT_EQ(next_fire("0 12 * * *", "2026-05-04T12:00:00Z"), utc("2026-05-05T12:00:00Z"));
  EXPECT_EQ(next_fire("0 12 * * *", "2026-05-04T11:59:59.999999Z"), utc("2026-05-04T12:00:00Z"));
  EXPECT_EQ(next_fire("0 12 * * *", "2026-05-04T12:00:00.000001Z"), utc("2026-05-05T12:00:00Z"));
  EXPECT_EQ(next_fire("* * * * *", "2026-05-04T12:00:00Z"), utc("2026-05-04T12:01:00Z"));
}

TEST(Cron, RangesFireOnEveryValueInTheRange) {
  EXPECT_EQ(fires("0 9-11 * * *", "2026-05-04T08:00:00Z", 4),
            utc({"2026-05-04T09:00:00Z", "2026-05-04T10:00:00Z", "2026-05-04T11:00:00Z",
                 "2026-05-05T09:00:00Z"}));
  EXPECT_EQ(fires("58-59 * * * *", "2026-05-04T08:00:00Z", 3),
            utc({"2026-05-04T08:58:00Z", "2026-05-04T08:59:00Z", "2026-05-04T09:58:00Z"}));
}

TEST(Cron, StepsOverAWholeFieldFireOnEveryNthValueFromItsMinimum) {
  EXPECT_EQ(fires("*/20 * * * *", "2026-05-04T08:00:00Z", 4),
            utc({"2026-05-04T08:20:00Z", "2026-05-04T08:40:00Z", "2026-05-04T09:00:00Z",
                 "2026-05-04T09:20:00Z"}));
  // 60 is not a multiple of 7: the last run of the hour is :56, then :00.
  EXPECT_EQ(fires("*/7 * * * *", "2026-05-04T08:50:00Z", 3),
            utc({"2026-05-04T08:56:00Z", "2026-05-04T09:00:00Z", "2026-05-04T09:07:00Z"}));
  // Day of month starts at 1: */10 is the 1st, 11th, 21st and 31st.
  EXPECT_EQ(fires("0 0 */10 * *", "2026-01-01T00:00:00Z", 4),
            utc({"2026-01-11T00:00:00Z", "2026-01-21T00:00:00Z", "2026-01-31T00:00:00Z",
                 "2026-02-01T00:00:00Z"}));
}

TEST(Cron, StepsWithinARangeFireOnEveryNthValue) {
  EXPECT_EQ(fires("10-30/10 * * * *", "2026-05-04T08:00:00Z", 4),
            utc({"2026-05-04T08:10:00Z", "2026-05-04T08:20:00Z", "2026-05-04T08:30:00Z",
                 "2026-05-04T09:10:00Z"}));
  EXPECT_EQ(fires("0 1-10/4 * * *", "2026-05-04T00:00:00Z", 4),
            utc({"2026-05-04T01:00:00Z", "2026-05-04T05:00:00Z", "2026-05-04T09:00:00Z",
                 "2026-05-05T01:00:00Z"}));
}

TEST(Cron, AValueWithAStepRunsToTheFieldsMaximum) {
  EXPECT_EQ(fires("50/5 * * * *", "2026-05-04T08:00:00Z", 3),
            utc({"2026-05-04T08:50:00Z", "2026-05-04T08:55:00Z", "2026-05-04T09:50:00Z"}));
  EXPECT_EQ(fires("0 20/2 * * *", "2026-05-04T00:00:00Z", 3),
            utc({"2026-05-04T20:00:00Z", "2026-05-04T22:00:00Z", "2026-05-05T20:00:00Z"}));
}

TEST(Cron, ListsCombineValuesRangesAndSteps) {
  EXPECT_EQ(fires("0,15-17,*/50 * * * *", "2026-05-04T08:00:00Z", 6),
            utc({"2026-05-04T08:15:00Z", "2026-05-04T08:16:00Z", "2026-05-04T08:17:00Z",
                 "2026-05-04T08:50:00Z", "2026-05-04T09:00:00Z", "2026-05-04T09:15:00Z"}));
  // Repeated and overlapping items change nothing.
  EXPECT_EQ(fires("5,5,1-10/4 * * * *", "2026-05-04T08:00:00Z", 4),
            utc({"2026-05-04T08:01:00Z", "2026-05-04T08:05:00Z", "2026-05-04T08:09:00Z",
                 "2026-05-04T09:01:00Z"}));
}

TEST(Cron, MonthsAreNumbersOrNamesInAnyCase) {
  std::vector<std::string> expected =
      utc({"2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z"});
  for (const char* expression : {"0 0 1 1,7 *", "0 0 1 JAN,JUL *", "0 0 1 jan,Jul *",
                                 "0 0 1 1-12/6 *", "0 0 1 JAN-DEC/6 *"}) {
    EXPECT_EQ(fires(expression, "2026-02-01T00:00:00Z", 3), expected) << expression;
  }
  EXPECT_EQ(fires("0 0 1 mar-MAY *", "2026-01-01T00:00:00Z", 4),
            utc({"2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z",
                 "2027-03-01T00:00:00Z"}));
}

TEST(Cron, DaysOfWeekAreNumbersOrNamesAndSevenIsSunday) {
  // 2026-05-03 is a Sunday.
  std::vector<std::string> sundays =
      utc({"2026-05-03T12:00:00Z", "2026-05-10T12:00:00Z", "2026-05-17T12:00:00Z"});
  for (const char* expression : {"0 12 * * 0", "0 12 * * 7", "0 12 * * SUN", "0 12 * * sun"}) {
    EXPECT_EQ(fires(expression, "2026-05-01T00:00:00Z", 3), sundays) << expression;
  }
  EXPECT_EQ(fires("0 12 * * MON-FRI", "2026-05-08T13:00:00Z", 2),  // a Friday afternoon
            utc({"2026-05-11T12:00:00Z", "2026-05-12T12:00:00Z"}));
  EXPECT_EQ(fires("0 12 * * 5-7", "2026-05-04T00:00:00Z", 4),
            utc({"2026-05-08T12:00:00Z", "2026-05-09T12:00:00Z", "2026-05-10T12:00:00Z",
                 "2026-05-15T12:00:00Z"}));
  EXPECT_EQ(fires("0 12 * * 6/1", "2026-05-04T00:00:00Z", 3),  // 6-7: Saturday and Sunday
            utc({"2026-05-09T12:00:00Z", "2026-05-10T12:00:00Z", "2026-05-16T12:00:00Z"}));
}

TEST(Cron, FieldsMaySitBetweenAnyRunOfSpacesAndTabs) {
  std::vector<std::string> expected = fires("30 9 * * 1", "2026-05-04T00:00:00Z", 2);
  for (const char* expression : {"30\t9 * * 1", "  30   9\t\t*  * 1  ", "\t30 9 * * 1\t"}) {
    EXPECT_EQ(fires(expression, "2026-05-04T00:00:00Z", 2), expected) << expression;
  }
  EXPECT_EQ(Cron::parse("  30   9 * * 1\t").expression(), "30   9 * * 1");
}

TEST(Cron, MacrosMeanTheirFiveFieldForms) {
  const std::pair<const char*, const char*> macros[] = {
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"}, {" @DAILY\t", "0 0 * * *"},
  };
  for (const auto& [macro, fields] : macros) {
    for (const char* after : {"2026-05-04T08:30:00Z", "2026-12-31T23:59:59Z"}) {
      EXPECT_EQ(fires(macro, after, 3), fires(fields, after, 3)) << macro;
    }
  }
  EXPECT_EQ(fires("@weekly", "2026-05-04T00:00:00Z", 2),
            utc({"2026-05-10T00:00:00Z", "2026-05-17T00:00:00Z"}));
  EXPECT_EQ(next_fire("@yearly", "2026-05-04T00:00:00Z"), utc("2027-01-01T00:00:00Z"));
}

// --- Day of month and day of week ------------------------------------------

TEST(Cron, WhenBothDayFieldsAreRestrictedEitherOneFires) {
  // The 13th of each month, and every Friday. 2026-05-01 is a Friday.
  EXPECT_EQ(fires("0 0 13 * FRI", "2026-05-01T00:00:00Z", 5),
            utc({"2026-05-08T00:00:00Z", "2026-05-13T00:00:00Z", "2026-05-15T00:00:00Z",
                 "2026-05-22T00:00:00Z", "2026-05-29T00:00:00Z"}));
}

TEST(Cron, WhenOneDayFieldIsStarOnlyTheOtherRestricts) {
  EXPECT_EQ(fires("0 0 13 * *", "2026-05-01T00:00:00Z", 2),
            utc({"2026-05-13T00:00:00Z", "2026-06-13T00:00:00Z"}));
  EXPECT_EQ(fires("0 0 * * FRI", "2026-05-01T00:00:00Z", 2),
            utc({"2026-05-08T00:00:00Z", "2026-05-15T00:00:00Z"}));
  // Only the month restricts as well: Fridays of February.
  EXPECT_EQ(fires("0 0 * 2 5", "2026-05-01T00:00:00Z", 2),
            utc({"2027-02-05T00:00:00Z", "2027-02-12T00:00:00Z"}));
}

TEST(Cron, AStepOfOneStillCountsAsARestriction) {
  // "*/1" is restricted, so "Monday or any day" is every day; "*" leaves Mondays.
  EXPECT_EQ(fires("0 0 */1 * MON", "2026-05-04T00:00:00Z", 2),
            utc({"2026-05-05T00:00:00Z", "2026-05-06T00:00:00Z"}));
  EXPECT_EQ(fires("0 0 * * MON", "2026-05-04T00:00:00Z", 2),
            utc({"2026-05-11T00:00:00Z", "2026-05-18T00:00:00Z"}));
  EXPECT_EQ(fires("0 0 1 * */1", "2026-05-04T00:00:00Z", 2),
            utc({"2026-05-05T00:00:00Z", "2026-05-06T00:00:00Z"}));
}

// --- Calendar edges --------------------------------------------------------

TEST(Cron, TheThirtyFirstSkipsShorterMonths) {
  EXPECT_EQ(fires("0 0 31 * *", "2026-01-31T00:00:00Z", 4),
            utc({"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z",
                 "2026-08-31T00:00:00Z"}));
  EXPECT_EQ(fires("0 0 30 * *", "2026-01-30T00:00:00Z", 2),
            utc({"2026-03-30T00:00:00Z", "2026-04-30T00:00:00Z"}));
}

TEST(Cron, FebruaryTwentyNinthFiresOnlyInLeapYears) {
  EXPECT_EQ(fires("0 0 29 2 *", "2025-01-01T00:00:00Z", 2),
            utc({"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}));
  // 2100 is not a leap year (2000 was): eight years between two Feb 29ths.
  EXPECT_EQ(next_fire("0 0 29 2 *", "2096-03-01T00:00:00Z"), utc("2104-02-29T00:00:00Z"));
  EXPECT_EQ(next_fire("0 0 29 2 *", "1999-03-01T00:00:00Z"), utc("2000-02-29T00:00:00Z"));
  EXPECT_EQ(fires("0 12 28-29 2 *", "2027-02-28T13:00:00Z", 3),
            utc({"2028-02-28T12:00:00Z", "2028-02-29T12:00:00Z", "2029-02-28T12:00:00Z"}));
}

TEST(Cron, TheLastMinuteOfTheYearRollsOverIntoTheNext) {
  EXPECT_EQ(fires("59 23 31 12 *", "2026-12-31T23:58:00Z", 2),
            utc({"2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z"}));
  EXPECT_EQ(next_fire("0 0 1 1 *", "2026-12-31T23:59:00Z"), utc("2027-01-01T00:00:00Z"));
  EXPECT_EQ(next_fire("* * * * *", "2026-12-31T23:59:30Z"), utc("2027-01-01T00:00:00Z"));
  EXPECT_EQ(next_fire("0 0 * 1 *", "2026-02-01T00:00:00Z"), utc("2027-01-01T00:00:00Z"));
}

TEST(Cron, AnExpressionThatNeverFiresThrowsInsteadOfSearchingForever) {
  for (const char* expression : {"0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *"}) {
    Cron cron = Cron::parse(expression);
    for (std::string_view tz : {"", "America/New_York"}) {
      try {
        cron.next(parse_time("2026-05-04T00:00:00Z"), tz);
        ADD_FAILURE() << expression << " fired";
      } catch (const ValidationError& e) {
        EXPECT_THAT(e.what(), HasSubstr(std::string("\"") + expression + "\" never fires"));
      }
    }
  }
}

TEST(Cron, InstantsOutsideTheSupportedYearsAreRefused) {
  Cron cron = Cron::parse("* * * * *");
  for (Timestamp after : {Timestamp::max(), Timestamp::min(), parse_time("9990-01-01T00:00:00Z"),
                          parse_time("0000-12-31T23:59:59Z")}) {
    try {
      cron.next(after, "Europe/Berlin");
      ADD_FAILURE() << after.time_since_epoch().count() << " accepted";
    } catch (const ValidationError& e) {
      EXPECT_THAT(e.what(), HasSubstr("expected one in the years 0001-9989"));
    }
  }
  EXPECT_EQ(format_time(cron.next(parse_time("9989-12-31T23:59:00Z"), "")),
            "9990-01-01T00:00:00.000000+00:00");
  EXPECT_EQ(format_time(cron.next(parse_time("0001-01-01T00:00:00Z"), "")),
            "0001-01-01T00:01:00.000000+00:00");
}

// --- Time zones and daylight saving ----------------------------------------

TEST(Cron, EmptyTimeZoneMeansUtc) {
  EXPECT_EQ(fires("30 9 * * *", "2026-05-04T12:00:00Z", 3, ""),
            fires("30 9 * * *", "2026-05-04T12:00:00Z", 3, "UTC"));
}

TEST(Cron, FiresAtWallClockTimeInTheGivenZone) {
  EXPECT_EQ(fires("0 9 * * *", "2026-01-10T00:00:00Z", 2, "Europe/Berlin"),
            utc({"2026-01-10T09:00:00+01:00", "2026-01-11T09:00:00+01:00"}));
  EXPECT_EQ(next_fire("0 9 * * *", "2026-07-10T00:00:00Z", "Europe/Berlin"),
            utc("2026-07-10T09:00:00+02:00"));
  EXPECT_EQ(next_fire("0 9 * * *", "2026-07-10T00:00:00Z", "America/New_York"),
            utc("2026-07-10T09:00:00-04:00"));
}

TEST(Cron, AHalfHourOffsetZoneKeepsItsHalfHour) {
  // Asia/Kolkata is UTC+05:30 all year.
  EXPECT_EQ(fires("0 9 * * *", "2026-05-04T00:00:00Z", 2, "Asia/Kolkata"),
            utc({"2026-05-04T09:00:00+05:30", "2026-05-05T09:00:00+05:30"}));
  EXPECT_EQ(next_fire("0 9 * * *", "2026-05-04T00:00:00Z", "Asia/Kolkata"),
            utc("2026-05-04T03:30:00Z"));
  // Local midnight on the 1st is the evening before in UTC.
  EXPECT_EQ(next_fire("15 0 1 * *", "2026-05-04T00:00:00Z", "Asia/Kolkata"),
            utc("2026-05-31T18:45:00Z"));
  // Local Monday 02:00 is Sunday evening in UTC.
  EXPECT_EQ(next_fire("0 2 * * MON", "2026-05-05T00:00:00Z", "Asia/Kolkata"),
            utc("2026-05-10T20:30:00Z"));
}

TEST(Cron, SpringForwardInBerlinFiresAMissingTimeOnceAtThreeOClock) {
  // 2026-03-29: 02:00 CET becomes 03:00 CEST.
  EXPECT_EQ(
      fires("30 2 * * *", "2026-03-27T12:00:00Z", 3, "Europe/Berlin"),
      utc({"2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"}));
  // Every minute of the gap maps to 03:00; it fires there once, then goes on.
  EXPECT_EQ(fires("*/15 * * * *", "2026-03-29T01:40:00+01:00", 4, "Europe/Berlin"),
            utc({"2026-03-29T01:45:00+01:00", "2026-03-29T03:00:00+02:00",
                 "2026-03-29T03:15:00+02:00", "2026-03-29T03:30:00+02:00"}));
  EXPECT_EQ(fires("0,30 2 * * *", "2026-03-29T00:00:00Z", 2, "Europe/Berlin"),
            utc({"2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00"}));
  // A time after the gap is unaffected.
  EXPECT_EQ(next_fire("30 3 * * *", "2026-03-29T00:00:00Z", "Europe/Berlin"),
            utc("2026-03-29T03:30:00+02:00"));
}

TEST(Cron, SpringForwardInNewYorkFiresAMissingTimeOnceAtThreeOClock) {
  // 2026-03-08: 02:00 EST becomes 03:00 EDT.
  EXPECT_EQ(
      fires("30 2 * * *", "2026-03-07T12:00:00Z", 3, "America/New_York"),
      utc({"2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00", "2026-03-10T02:30:00-04:00"}));
  EXPECT_EQ(next_fire("30 2 * * *", "2026-03-08T00:00:00-05:00", "America/New_York"),
            utc("2026-03-08T07:00:00Z"));
  // Only the date of the change fires at 03:00: other Sundays keep 02:30.
  EXPECT_EQ(
      fires("30 2 * * SUN", "2026-03-01T00:00:00-05:00", 3, "America/New_York"),
      utc({"2026-03-01T02:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-15T02:30:00-04:00"}));
}

TEST(Cron, FallBackInBerlinFiresARepeatedTimeOnceAtItsFirstOccurrence) {
  // 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:00-02:59 happens twice.
  EXPECT_EQ(
      fires("30 2 * * *", "2026-10-24T12:00:00Z", 3, "Europe/Berlin"),
      utc({"2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00", "2026-10-27T02:30:00+01:00"}));
  EXPECT_EQ(fires("0 * * * *", "2026-10-25T00:30:00+02:00", 4, "Europe/Berlin"),
            utc({"2026-10-25T01:00:00+02:00", "2026-10-25T02:00:00+02:00",
                 "2026-10-25T03:00:00+01:00", "2026-10-25T04:00:00+01:00"}));
}

TEST(Cron, FallBackInNewYorkFiresEachWallClockMinuteOnlyOnce) {
  // 2026-11-01: 02:00 EDT becomes 01:00 EST; 01:00-01:59 happens twice.
  EXPECT_EQ(fires("30 1 * * *", "2026-10-31T12:00:00Z", 2, "America/New_York"),
            utc({"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}));
  // 01:30 EDT fires, 01:30 EST does not.
  EXPECT_EQ(fires("30 * * * *", "2026-11-01T00:00:00-04:00", 4, "America/New_York"),
            utc({"2026-11-01T00:30:00-04:00", "2026-11-01T01:30:00-04:00",
                 "2026-11-01T02:30:00-05:00", "2026-11-01T03:30:00-05:00"}));
  // From inside the second 01:xx, the repeated minutes are already past.
  EXPECT_EQ(next_fire("*/20 * * * *", "2026-11-01T01:10:00-05:00", "America/New_York"),
            utc("2026-11-01T02:00:00-05:00"));
  EXPECT_EQ(next_fire("*/20 * * * *", "2026-11-01T01:10:00-04:00", "America/New_York"),
            utc("2026-11-01T01:20:00-04:00"));
}

TEST(Cron, SouthernHemisphereZonesChangeInAprilAndOctober) {
  // Australia/Sydney: AEDT (+11) in January, AEST (+10) in July.
  EXPECT_EQ(next_fire("0 9 * * *", "2026-01-10T00:00:00Z", "Australia/Sydney"),
            utc("2026-01-11T09:00:00+11:00"));
  EXPECT_EQ(next_fire("0 9 * * *", "2026-07-10T00:00:00Z", "Australia/Sydney"),
            utc("2026-07-11T09:00:00+10:00"));
  // 2026-04-05: 03:00 AEDT becomes 02:00 AEST.
  EXPECT_EQ(fires("30 2 * * *", "2026-04-04T00:00:00Z", 2, "Australia/Sydney"),
            utc({"2026-04-05T02:30:00+11:00", "2026-04-06T02:30:00+10:00"}));
  // 2026-10-04: 02:00 AEST becomes 03:00 AEDT.
  EXPECT_EQ(fires("30 2 * * *", "2026-10-03T00:00:00Z", 2, "Australia/Sydney"),
            utc({"2026-10-04T03:00:00+11:00", "2026-10-05T02:30:00+11:00"}));
}

TEST(Cron, UnknownTimeZonesAreNamedInTheError) {
  Cron cron = Cron::parse("* * * * *");
  for (const char* tz : {"Mars/Olympus_Mons", "europe/berlin", "Europe/Berlin ", "../etc"}) {
    try {
      cron.next(parse_time("2026-05-04T00:00:00Z"), tz);
      ADD_FAILURE() << tz << " accepted";
    } catch (const ValidationError& e) {
      EXPECT_THAT(e.what(), HasSubstr(std::string("unknown time zone \"") + tz + "\""));
      EXPECT_THAT(e.what(), HasSubstr("IANA"));
    }
    EXPECT_THROW(validate_timezone(tz), ValidationError) << tz;
  }
  for (const char* tz : {"", "UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"}) {
    EXPECT_NO_THROW(validate_timezone(tz)) << tz;
  }
}

// --- Bad expressions -------------------------------------------------------

TEST(Cron, AZeroStepIsRefusedWithTheFieldAndValue) {
  EXPECT_EQ(parse_error("*/0 * * * *"),
            "cron expression \"*/0 * * * *\": minute \"*/0\": a step must be 1 or more");
  EXPECT_THAT(parse_error("0 0 1-10/0 * *"),
              HasSubstr("day of month \"1-10/0\": a step must be 1 or more"));
}

TEST(Cron, BadStepsAreRefused) {
  EXPECT_THAT(parse_error("*/61 * * * *"),
              HasSubstr("minute \"*/61\": step 61 is too large; a step must be a number from "
                        "1 to 60"));
  EXPECT_THAT(parse_error("0 */x * * *"), HasSubstr("hour \"*/x\": step \"x\" is not a number"));
  EXPECT_THAT(parse_error("0 */ * * *"), HasSubstr("hour \"*/\": a step must be a number"));
  EXPECT_THAT(parse_error("*/5/2 * * * *"), HasSubstr("minute \"*/5/2\": step \"5/2\""));
  EXPECT_THAT(parse_error("0 0 * * */-1"), HasSubstr("day of week \"*/-1\": step \"-1\""));
}

TEST(Cron, OutOfRangeValuesAreRefusedWithTheFieldValueAndRange) {
  const struct {
    const char* expression;
    const char* message;
  } cases[] = {
      {"60 * * * *", "minute \"60\": \"60\" is out of range; expected 0-59"},
      {"0-60 * * * *", "minute \"0-60\": \"60\" is out of range; expected 0-59"},
      {"0 24 * * *", "hour \"24\": \"24\" is out of range; expected 0-23"},
      {"0 0 0 * *", "day of month \"0\": \"0\" is out of range; expected 1-31"},
      {"0 0 1,32 * *", "day of month \"1,32\": \"32\" is out of range; expected 1-31"},
      {"0 0 * 0 *", "month \"0\": \"0\" is out of range; expected 1-12 or JAN-DEC"},
      {"0 0 * 13 *", "month \"13\": \"13\" is out of range; expected 1-12 or JAN-DEC"},
      {"0 0 * * 8", "day of week \"8\": \"8\" is out of range; expected 0-7 or SUN-SAT"},
      {"99999999999 * * * *", "minute \"99999999999\": \"99999999999\" is out of range"},
  };
  for (const auto& c : cases) EXPECT_THAT(parse_error(c.expression), HasSubstr(c.message));
  // Leading zeros are fine.
  EXPECT_EQ(next_fire("05 0000000007 * * *", "2026-05-04T00:00:00Z"), utc("2026-05-04T07:05:00Z"));
}

TEST(Cron, ReversedRangesAreRefused) {
  EXPECT_THAT(parse_error("30-10 * * * *"),
              HasSubstr("minute \"30-10\": range \"30-10\" is reversed; write the smaller end "
                        "first"));
  EXPECT_THAT(parse_error("0 0 * DEC-JAN *"), HasSubstr("month \"DEC-JAN\": range \"DEC-JAN\""));
  EXPECT_THAT(parse_error("0 0 * * SAT-SUN"), HasSubstr("range \"SAT-SUN\" is reversed"));
  EXPECT_THAT(parse_error("0 0 * * 7-0/2"), HasSubstr("range \"7-0\" is reversed"));
}

TEST(Cron, EmptyListItemsAreRefused) {
  for (const char* expression : {"1,,2 * * * *", ",1 * * * *", "1, * * * *", "0 0 * , *"}) {
    EXPECT_THAT(parse_error(expression), HasSubstr("an empty list item")) << expression;
  }
  EXPECT_THAT(parse_error("0 0 * , *"), HasSubstr("month \",\""));
}

TEST(Cron, GarbageIsRefusedNamingTheFieldAndTheToken) {
  const struct {
    const char* expression;
    const char* message;
  } cases[] = {
      {"a * * * *", "minute \"a\": \"a\" is not a number; expected 0-59"},
      {"0 JAN * * *", "hour \"JAN\": \"JAN\" is not a number; expected 0-23"},
      {"0 0 MON * *", "day of month \"MON\": \"MON\" is not a number"},
      {"0 0 * FOO *", "month \"FOO\": \"FOO\" is not a number or a name; expected 1-12 or JAN-DEC"},
      {"0 0 * JANUARY *", "month \"JANUARY\": \"JANUARY\" is not a number or a name"},
      {"0 0 * * MONDAY", "day of week \"MONDAY\": \"MONDAY\" is not a number or a name"},
      {"0 0 * * JAN", "day of week \"JAN\": \"JAN\" is not a number or a name"},
      {"1-2-3 * * * *", "minute \"1-2-3\": \"2-3\" is not a number"},
      {"5x * * * *", "minute \"5x\": \"5x\" is not a number"},
      {"** * * * *", "minute \"**\": \"**\" is not a number"},
      {"-1 * * * *", "minute \"-1\": a value is missing; expected 0-59"},
      {"1- * * * *", "minute \"1-\": a value is missing"},
      {"+1 * * * *", "minute \"+1\": \"+1\" is not a number"},
      {"1.5 * * * *", "minute \"1.5\": \"1.5\" is not a number"},
      {"0 0 ? * *", "day of month \"?\": \"?\" is not a number"},
      {"0 0 L * *", "day of month \"L\": \"L\" is not a number"},
      {"0\n0 * * * *", "minute \"0?0\": \"0?0\" is not a number"},  // control bytes shown as '?'
  };
  for (const auto& c : cases) EXPECT_THAT(parse_error(c.expression), HasSubstr(c.message));
}

TEST(Cron, TheWrongNumberOfFieldsIsRefused) {
  for (const char* expression : {"", "   ", "* * * *", "* * * * * *", "0 0 1 1 * 2026"}) {
    EXPECT_THAT(parse_error(expression),
                HasSubstr("expected 5 fields (minute hour day-of-month month day-of-week)"))
        << expression;
  }
  EXPECT_THAT(parse_error("* * * *"), HasSubstr("got 4"));
  EXPECT_THAT(parse_error("* * * * * *"), HasSubstr("got 6"));
  EXPECT_THAT(parse_error(""), HasSubstr("got 0"));
}

TEST(Cron, UnknownMacrosAreRefused) {
  for (const char* expression : {"@reboot", "@", "@daily 5", "@dailyx", "@ daily"}) {
    EXPECT_THAT(parse_error(expression), HasSubstr("unknown macro \"" + std::string(expression)))
        << expression;
  }
  EXPECT_THAT(parse_error("@every_5m"), HasSubstr("expected @yearly, @annually, @monthly"));
}

TEST(Cron, OverlongInputIsRefusedAndTheMessageStaysShort) {
  std::string fine = "0 0 * * *" + std::string(256 - 9, ' ');
  EXPECT_NO_THROW(Cron::parse(fine));
  std::string message = parse_error(fine + " ");
  EXPECT_THAT(message, HasSubstr("is 257 bytes long; at most 256 are accepted"));
  EXPECT_LT(message.size(), 200u);
  std::string list = "0";
  while (list.size() < 300) list += ",0";
  EXPECT_THAT(parse_error(list + " * * * *"), HasSubstr("at most 256"));
}

// --- Cross-check against a naive minute-by-minute search -------------------

// An independent, deliberately simple reading of one field: the values in
// [min, max] it matches.
std::vector<bool> naive_field(const std::string& text, int min, int max,
                              const std::vector<std::string>& names) {
  auto value = [&](const std::string& token) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      std::string upper = token;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (upper == names[i]) return min + static_cast<int>(i);
    }
    return std::stoi(token);
  };
  std::vector<bool> matches(static_cast<std::size_t>(max + 1), false);
  std::stringstream items(text);
  for (std::string item; std::getline(items, item, ',');) {
    int step = 1;
    std::size_t slash = item.find('/');
    if (slash != std::string::npos) step = std::stoi(item.substr(slash + 1));
    std::string range = item.substr(0, slash);
    int lo = min, hi = max;
    if (range != "*") {
      std::size_t dash = range.find('-');
      lo = value(range.substr(0, dash));
      hi = dash != std::string::npos    ? value(range.substr(dash + 1))
           : slash != std::string::npos ? max
                                        : lo;
    }
    for (int v = lo; v <= hi; v += step) matches[static_cast<std::size_t>(v)] = true;
  }
  return matches;
}

struct NaiveCron {
  explicit NaiveCron(const std::string& expression) {
    std::stringstream in(expression);
    std::string f[5];
    in >> f[0] >> f[1] >> f[2] >> f[3] >> f[4];
    minute_set = naive_field(f[0], 0, 59, {});
    hour_set = naive_field(f[1], 0, 23, {});
    day_set = naive_field(f[2], 1, 31, {});
    month_set = naive_field(
        f[3], 1, 12,
        {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"});
    weekday_set = naive_field(f[4], 0, 7, {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"});
    if (weekday_set[7]) weekday_set[0] = true;
    either_day = f[2] != "*" && f[4] != "*";
  }

  // Tries every minute after `after` for two years.
  std::optional<Timestamp> next(Timestamp after) const {
    sys_time<minutes> t = floor<minutes>(after) + minutes{1};
    sys_days cached_day{};
    bool day_ok = false;
    for (sys_time<minutes> end = t + days{731}; t < end; t += minutes{1}) {
      sys_days d = floor<days>(t);
      if (d != cached_day) {
        year_month_day ymd{d};
        bool dom = day_set[static_cast<unsigned>(ymd.day())];
        bool dow = weekday_set[weekday{d}.c_encoding()];
        day_ok =
            month_set[static_cast<unsigned>(ymd.month())] && (either_day ? dom || dow : dom && dow);
        cached_day = d;
      }
      hh_mm_ss hms{t - d};
      if (day_ok && hour_set[static_cast<std::size_t>(hms.hours().count())] &&
          minute_set[static_cast<std::size_t>(hms.minutes().count())]) {
        return Timestamp{t};
      }
    }
    return std::nullopt;
  }

  std::vector<bool> minute_set, hour_set, day_set, month_set, weekday_set;
  bool either_day = false;
};

TEST(Cron, AgreesWithANaiveMinuteByMinuteSearchInUtc) {
  const char* expressions[] = {
      "* * * * *",
      "*/7 * * * *",
      "0 * * * *",
      "15,45 */3 * * *",
      "0 0 * * *",
      "30 4 1 * *",
      "0 0 1 1 *",
      "0 12 * * MON-FRI",
      "0 0 * * 0",
      "0 0 * * 7",
      "5-10/2 8-17 * * 1-5",
      "0 0 13 * 5",
      "0 0 1,15 * 3",
      "0 9 31 * *",
      "0 0 29 2 *",
      "59 23 31 12 *",
      "0 0 */2 * *",
      "0 6 10/5 * *",
      "0 0 * */3 *",
      "0 0 * FEB,aug sat",
      "*/15 9-17 * * 1-5",
      "0 0 1-7 * 1",
      "0 0 28-31 * *",
      "1 2 3 4 5",
      "0 0 * * */2",
      "10/20 1/6 2/10 3/4 2/3",
      "0-59/30 0-23/12 * * *",
      "0 0 1 JAN-MAR/2 *",
      "0 12 29 2 1",
      "0 0 30 1-12/2 *",
  };
  std::mt19937_64 random(20260504);
  // Starts from 1995 to 2035, at any microsecond.
  std::uniform_int_distribution<std::int64_t> start(788918400LL * 1000000, 2051222400LL * 1000000);
  int compared = 0;
  for (const char* expression : expressions) {
    Cron cron = Cron::parse(expression);
    NaiveCron naive(expression);
    for (int run = 0; run < 5; ++run) {
      Timestamp after{Duration{start(random)}};
      // Four fire times in a row: each later start is itself a fire time.
      for (int i = 0; i < 4; ++i) {
        Timestamp got = cron.next(after, "");
        std::optional<Timestamp> want = naive.next(after);
        if (want) {
          ASSERT_EQ(format_time(got), format_time(*want))
              << expression << " after " << format_time(after);
          ++compared;
        } else {
          ASSERT_GT(got, after + days{731}) << expression << " after " << format_time(after);
        }
        after = got;
      }
    }
  }
  EXPECT_GT(compared, 500);
}

TEST(Cron, NearDaylightSavingChangesNextIsTheSameFromAnyInstantBeforeIt) {
  const char* expressions[] = {"*/7 * * * *", "30 * * * *",     "0 0-3 * * *",
                               "30 2 * * *",  "15 1,2 * * SUN", "0 0 29 2 *"};
  const char* zones[] = {"America/New_York", "Europe/Berlin",   "Australia/Sydney",
                         "Asia/Kolkata",     "Pacific/Chatham", "America/St_Johns"};
  // Starts within a day and a half of a 2026 change of one of these zones.
  std::vector<Timestamp> changes;
  for (const char* change : {"2026-03-08T07:00:00Z", "2026-03-29T01:00:00Z", "2026-04-04T16:00:00Z",
                             "2026-09-26T14:00:00Z", "2026-10-03T16:00:00Z", "2026-10-25T01:00:00Z",
                             "2026-11-01T06:00:00Z"}) {
    changes.push_back(parse_time(change));
  }
  std::mt19937_64 random(7);
  std::uniform_int_distribution<std::size_t> pick(0, changes.size() - 1);
  std::uniform_int_distribution<std::int64_t> offset(-36LL * 3600 * 1000000, 36LL * 3600 * 1000000);
  for (const char* expression : expressions) {
    Cron cron = Cron::parse(expression);
    for (const char* tz : zones) {
      for (int run = 0; run < 40; ++run) {
        Timestamp after = changes[pick(random)] + Duration{offset(random)};
        Timestamp got = cron.next(after, tz);
        ASSERT_GT(got, after) << expression << " in " << tz << " after " << format_time(after);
        ASSERT_EQ(cron.next(got - Duration{1}, tz), got) << expression << " in " << tz;
        ASSERT_EQ(cron.next(after + (got - after) / 2, tz), got) << expression << " in " << tz;
      }
    }
  }
}

}  // namespace
}  // namespace omniq
