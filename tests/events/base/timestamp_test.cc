// Event times are parsed on every pass over the log (a catch-up, a replay's folds), so the parser
// does its own civil-date arithmetic. These tests hold it to the C library's timegm, the way it
// had before, over every day of four centuries' edge years and every form it accepts.
#include "events/base/timestamp.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <random>
#include <string>

namespace kakitome {
namespace {

// The reference: the fields through struct tm and timegm, which normalises a day past the
// month's end and a 60th second into what follows.
std::int64_t by_timegm(int year, int month, int day, int hour, int minute, int second, int millis,
                       int offset_minutes) {
    std::tm utc{};
    utc.tm_year = year - 1900;
    utc.tm_mon = month - 1;
    utc.tm_mday = day;
    utc.tm_hour = hour;
    utc.tm_min = minute;
    utc.tm_sec = second;
    return (static_cast<std::int64_t>(timegm(&utc)) - offset_minutes * 60) * 1000 + millis;
}

std::string spelled(int year, int month, int day, int hour, int minute, int second, int millis,
                    int offset_minutes) {
    char text[64];
    const int written = std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03d", year,
                                      month, day, hour, minute, second, millis);
    std::string out(text, static_cast<std::size_t>(written));
    if (offset_minutes == 0) return out + "Z";
    const int magnitude = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    std::snprintf(text, sizeof text, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', magnitude / 60,
                  magnitude % 60);
    return out + text;
}

TEST(Timestamp, KnownInstantsParse) {
    EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parse_rfc3339_ms("2025-11-24T16:00:00.123Z"), 1764000000123);
    EXPECT_EQ(parse_rfc3339_ms("2025-11-25T01:00:00.123+09:00"), 1764000000123);
    EXPECT_EQ(parse_rfc3339_ms("1969-12-31T23:59:59.999Z"), -1);
    EXPECT_EQ(parse_rfc3339_ms(format_rfc3339_ms(1764000000123)), 1764000000123);
}

TEST(Timestamp, EveryDayOfTheEdgeYearsAgreesWithTimegm) {
    // Leap rules: 1900 and 2100 are not leap years, 2000 is; day 29 to 31 of every month, the
    // ones past the month's end included, roll over as timegm's do.
    for (const int year : {1900, 1970, 1999, 2000, 2024, 2025, 2100, 2400, 9999}) {
        for (int month = 1; month <= 12; ++month) {
            for (int day = 1; day <= 31; ++day) {
                SCOPED_TRACE(spelled(year, month, day, 0, 0, 0, 0, 0));
                EXPECT_EQ(parse_rfc3339_ms(spelled(year, month, day, 0, 0, 0, 0, 0)),
                          by_timegm(year, month, day, 0, 0, 0, 0, 0));
                EXPECT_EQ(parse_rfc3339_ms(spelled(year, month, day, 23, 59, 60, 999, 0)),
                          by_timegm(year, month, day, 23, 59, 60, 999, 0));
            }
        }
    }
}

TEST(Timestamp, RandomInstantsWithOffsetsAgreeWithTimegm) {
    std::mt19937 random(20261129);
    const auto between = [&random](int low, int high) {
        return std::uniform_int_distribution<int>(low, high)(random);
    };
    for (int i = 0; i < 20000; ++i) {
        const int year = between(1, 9999), month = between(1, 12), day = between(1, 31);
        const int hour = between(0, 23), minute = between(0, 59), second = between(0, 60);
        const int millis = between(0, 999), offset = between(-23 * 60 - 59, 23 * 60 + 59);
        const std::string text = spelled(year, month, day, hour, minute, second, millis, offset);
        SCOPED_TRACE(text);
        ASSERT_EQ(parse_rfc3339_ms(text),
                  by_timegm(year, month, day, hour, minute, second, millis, offset));
    }
}

TEST(Timestamp, MalformedTextsAreRefused) {
    for (const char* text :
         {"", "2025-11-24", "2025-11-24T16:00:00", "2025-13-01T00:00:00Z", "2025-00-01T00:00:00Z",
          "2025-11-32T00:00:00Z", "2025-11-24T24:00:00Z", "2025-11-24T16:00:00.Z",
          "2025-11-24T16:00:00+0900", "2025-11-24T16:00:00Zjunk"}) {
        SCOPED_TRACE(text);
        EXPECT_EQ(parse_rfc3339_ms(text), std::nullopt);
    }
}

}  // namespace
}  // namespace kakitome
