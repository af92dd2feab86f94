// The holiday calendar against the Cabinet Office's published lists (内閣府「国民の祝日について」,
// typed in from the lists for 2024–2027), the equinox formula beyond, and business-day counting.
#include "engine/workflow/business_calendar.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace kakitome::workflow {
namespace {

// year -> "MM-DD name" for every holiday the Cabinet Office lists.
const std::map<int, std::vector<std::string>> kCabinetOfficeLists = {
    {2024, {"01-01 元日",        "01-08 成人の日",     "02-11 建国記念の日", "02-12 振替休日",
            "02-23 天皇誕生日",  "03-20 春分の日",     "04-29 昭和の日",     "05-03 憲法記念日",
            "05-04 みどりの日",  "05-05 こどもの日",   "05-06 振替休日",     "07-15 海の日",
            "08-11 山の日",      "08-12 振替休日",     "09-16 敬老の日",     "09-22 秋分の日",
            "09-23 振替休日",    "10-14 スポーツの日", "11-03 文化の日",     "11-04 振替休日",
            "11-23 勤労感謝の日"}},
    {2025,
     {"01-01 元日", "01-13 成人の日", "02-11 建国記念の日", "02-23 天皇誕生日", "02-24 振替休日",
      "03-20 春分の日", "04-29 昭和の日", "05-03 憲法記念日", "05-04 みどりの日",
      "05-05 こどもの日", "05-06 振替休日", "07-21 海の日", "08-11 山の日", "09-15 敬老の日",
      "09-23 秋分の日", "10-13 スポーツの日", "11-03 文化の日", "11-23 勤労感謝の日",
      "11-24 振替休日"}},
    {2026,
     {"01-01 元日", "01-12 成人の日", "02-11 建国記念の日", "02-23 天皇誕生日", "03-20 春分の日",
      "04-29 昭和の日", "05-03 憲法記念日", "05-04 みどりの日", "05-05 こどもの日",
      "05-06 振替休日", "07-20 海の日", "08-11 山の日", "09-21 敬老の日", "09-22 国民の休日",
      "09-23 秋分の日", "10-12 スポーツの日", "11-03 文化の日", "11-23 勤労感謝の日"}},
    {2027,
     {"01-01 元日", "01-11 成人の日", "02-11 建国記念の日", "02-23 天皇誕生日", "03-21 春分の日",
      "03-22 振替休日", "04-29 昭和の日", "05-03 憲法記念日", "05-04 みどりの日",
      "05-05 こどもの日", "07-19 海の日", "08-11 山の日", "09-20 敬老の日", "09-23 秋分の日",
      "10-11 スポーツの日", "11-03 文化の日", "11-23 勤労感謝の日"}},
};

CivilDate date(const char* text) {
    return CivilDate::parse(text).value();
}

TEST(CivilDate, RoundTripsAndKnowsWeekdays) {
    EXPECT_EQ(date("1970-01-01").days(), 0);
    EXPECT_EQ(date("1970-01-01").weekday(), 4);
    EXPECT_EQ(date("2026-11-24").weekday(), 2);
    EXPECT_EQ(date("1969-12-28").weekday(), 0);
    for (std::int64_t day = -800000; day < 800000; day += 97) {
        EXPECT_EQ(CivilDate::from_days(day).days(), day);
    }
    EXPECT_FALSE(CivilDate::parse("2025-02-29"));
    EXPECT_TRUE(CivilDate::parse("2024-02-29"));
    EXPECT_FALSE(CivilDate::parse("2024-13-01"));
    // 2026-11-24T15:00:00Z is already the 25th in Tokyo.
    EXPECT_EQ(jst_date_of(1795532400000).to_string(), "2026-11-25");
    EXPECT_EQ(jst_date_of(jst_midnight_ms(date("2026-11-25"))).to_string(), "2026-11-25");
    EXPECT_EQ(jst_date_of(jst_midnight_ms(date("2026-11-25")) - 1).to_string(), "2026-11-24");
}

// The mutant "文化の日 is a business day" survived: is_business_day was checked on a handful of
// dates. Every day of 2024-2027 is now held to the typed lists, weekends and the year-end
// closure (12/29-1/3), independently of the holiday code.
TEST(BusinessCalendar, EveryDayOf2024To2027IsABusinessDayExactlyWhenTheListsSaySo) {
    const BusinessCalendar calendar;
    std::set<std::string> listed;
    for (const auto& [year, holidays] : kCabinetOfficeLists)
        for (const auto& holiday : holidays)
            listed.insert(std::to_string(year) + "-" + holiday.substr(0, 5));
    int business_days = 0;
    for (auto day = date("2024-01-01"); day.to_string() <= "2027-12-31";
         day = CivilDate::from_days(day.days() + 1)) {
        const std::string text = day.to_string();
        const std::string month_day = text.substr(5);
        const bool weekend = day.weekday() == 0 || day.weekday() == 6;
        const bool year_end = month_day >= "12-29" || month_day <= "01-03";
        const bool expected = !weekend && !year_end && !listed.count(text);
        EXPECT_EQ(calendar.is_business_day(day), expected) << text;
        business_days += expected ? 1 : 0;
    }
    EXPECT_GT(business_days, 4 * 230);  // a sanity bound: about 240 business days a year
}

TEST(BusinessCalendar, MatchesTheCabinetOfficeLists) {
    for (const auto& [year, expected] : kCabinetOfficeLists) {
        std::vector<std::string> actual;
        for (const auto& [day, name] : BusinessCalendar::national_holidays(year)) {
            actual.push_back(day.to_string().substr(5) + " " + name);
        }
        EXPECT_EQ(actual, expected) << year;
    }
}

TEST(BusinessCalendar, EquinoxFormulaAndSilverWeeksBeyondThePublishedLists) {
    // Values of the formula as the National Astronomical Observatory publishes them ahead.
    EXPECT_EQ(BusinessCalendar::vernal_equinox_day(2028), 20);
    EXPECT_EQ(BusinessCalendar::autumnal_equinox_day(2028), 22);
    EXPECT_EQ(BusinessCalendar::vernal_equinox_day(2030), 20);
    EXPECT_EQ(BusinessCalendar::autumnal_equinox_day(2030), 23);
    EXPECT_EQ(BusinessCalendar::vernal_equinox_day(2092), 19);
    EXPECT_EQ(BusinessCalendar::autumnal_equinox_day(2044), 22);
    // 2032: 敬老の日 9/20 and 秋分の日 9/22 enclose a citizens' holiday.
    EXPECT_EQ(BusinessCalendar::national_holiday(date("2032-09-21")), "国民の休日");
    // Every Sunday holiday is followed by a substitute on the next non-holiday, every year.
    for (int year = 2020; year <= 2099; ++year) {
        for (const auto& [day, name] : BusinessCalendar::national_holidays(year)) {
            if (day.weekday() != 0 || name == "振替休日") continue;
            CivilDate next = day.plus_days(1);
            while (BusinessCalendar::national_holiday(next) &&
                   BusinessCalendar::national_holiday(next) != "振替休日") {
                next = next.plus_days(1);
            }
            EXPECT_EQ(BusinessCalendar::national_holiday(next), "振替休日") << day.to_string();
        }
    }
    EXPECT_FALSE(
        BusinessCalendar::national_holiday(date("2019-05-01")));  // outside the supported years
    EXPECT_FALSE(BusinessCalendar::supports(2019));
}

TEST(BusinessCalendar, CountsBusinessDaysAroundHolidaysAndTheYearEnd) {
    const BusinessCalendar calendar;
    EXPECT_TRUE(calendar.is_business_day(date("2026-11-24")));
    EXPECT_FALSE(calendar.is_business_day(date("2026-11-23")));  // 勤労感謝の日
    EXPECT_FALSE(calendar.is_business_day(date("2026-11-28")));  // Saturday
    // Golden Week: Friday 5/1 + 1 business day is Thursday 5/7.
    EXPECT_EQ(calendar.add_business_days(date("2026-05-01"), 1).to_string(), "2026-05-07");
    // Year-end closure 12/29–1/3, then Monday 1/5.
    EXPECT_EQ(calendar.add_business_days(date("2025-12-26"), 1).to_string(), "2026-01-05");
    EXPECT_FALSE(calendar.is_business_day(date("2026-12-29")));
    EXPECT_FALSE(calendar.is_business_day(date("2027-01-03")));
    // SLA example: paired Friday 2026-09-18, silver week: due 4 business days later.
    EXPECT_EQ(calendar.add_business_days(date("2026-09-18"), 4).to_string(), "2026-09-29");
    EXPECT_EQ(calendar.business_days_between(date("2026-09-18"), date("2026-09-29")), 4);
    EXPECT_EQ(calendar.business_days_between(date("2026-09-29"), date("2026-09-18")), 0);

    const BusinessCalendar with_closure({date("2026-11-25")});
    EXPECT_FALSE(with_closure.is_business_day(date("2026-11-25")));
    EXPECT_EQ(with_closure.add_business_days(date("2026-11-24"), 1).to_string(), "2026-11-26");
}

}  // namespace
}  // namespace kakitome::workflow
