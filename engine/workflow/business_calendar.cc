#include "engine/workflow/business_calendar.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace kakitome::workflow {

namespace {

// The n-th Monday of a month (Happy Monday system, 2000/2003 amendments).
int nth_monday(int year, int month, int n) {
    const int first_weekday = CivilDate{year, month, 1}.weekday();
    const int first_monday = 1 + (8 - first_weekday) % 7;
    return first_monday + 7 * (n - 1);
}

// Holidays named by the law itself, before substitute and citizens' holidays are added.
std::map<std::int64_t, std::string> statutory_holidays(int year) {
    std::map<std::int64_t, std::string> days;
    auto add = [&](int month, int day, const char* name) {
        days[CivilDate{year, month, day}.days()] = name;
    };
    add(1, 1, "元日");
    add(1, nth_monday(year, 1, 2), "成人の日");
    add(2, 11, "建国記念の日");
    add(2, 23, "天皇誕生日");
    add(3, BusinessCalendar::vernal_equinox_day(year), "春分の日");
    add(4, 29, "昭和の日");
    add(5, 3, "憲法記念日");
    add(5, 4, "みどりの日");
    add(5, 5, "こどもの日");
    // Tokyo 2020 special measures moved three holidays in 2020 and 2021.
    if (year == 2020) {
        add(7, 23, "海の日");
        add(7, 24, "スポーツの日");
        add(8, 10, "山の日");
    } else if (year == 2021) {
        add(7, 22, "海の日");
        add(7, 23, "スポーツの日");
        add(8, 8, "山の日");
    } else {
        add(7, nth_monday(year, 7, 3), "海の日");
        add(8, 11, "山の日");
        add(10, nth_monday(year, 10, 2), "スポーツの日");
    }
    add(9, nth_monday(year, 9, 3), "敬老の日");
    add(9, BusinessCalendar::autumnal_equinox_day(year), "秋分の日");
    add(11, 3, "文化の日");
    add(11, 23, "勤労感謝の日");
    return days;
}

std::map<std::int64_t, std::string> holidays_of_year(int year) {
    std::map<std::int64_t, std::string> days = statutory_holidays(year);
    // Article 3(3): a day between two holidays that is not itself one is a citizens' holiday.
    std::vector<std::int64_t> between;
    for (const auto& [day, name] : days) {
        if (days.count(day + 2) && !days.count(day + 1)) between.push_back(day + 1);
    }
    // Article 3(2): a holiday on a Sunday makes the next day that is not a holiday one.
    std::vector<std::int64_t> substitutes;
    for (const auto& [day, name] : days) {
        if (CivilDate::from_days(day).weekday() != 0) continue;
        std::int64_t next = day + 1;
        while (days.count(next)) ++next;
        substitutes.push_back(next);
    }
    for (auto day : between) {
        if (CivilDate::from_days(day).weekday() != 0) days[day] = "国民の休日";
    }
    for (auto day : substitutes) days.emplace(day, "振替休日");
    return days;
}

const std::map<std::int64_t, std::string>& holidays_cached(int year) {
    // Built once for every supported year; afterwards read-only and safe to share.
    static const auto all = [] {
        std::map<int, std::map<std::int64_t, std::string>> years;
        for (int y = 2020; y <= 2099; ++y) years[y] = holidays_of_year(y);
        return years;
    }();
    static const std::map<std::int64_t, std::string> none;
    auto found = all.find(year);
    return found == all.end() ? none : found->second;
}

int equinox_day(double base, int year) {
    // The standard approximation (国立天文台 暦要項 style), valid 1980–2099.
    const int years = year - 1980;
    return static_cast<int>(std::floor(base + 0.242194 * years - std::floor(years / 4.0)));
}

}  // namespace

int BusinessCalendar::vernal_equinox_day(int year) {
    return equinox_day(20.8431, year);
}
int BusinessCalendar::autumnal_equinox_day(int year) {
    return equinox_day(23.2488, year);
}

BusinessCalendar::BusinessCalendar(std::vector<CivilDate> extra_closures) {
    for (const auto& date : extra_closures) extra_closures_.insert(date.days());
}

std::optional<std::string> BusinessCalendar::national_holiday(CivilDate date) {
    const auto& days = holidays_cached(date.year);
    auto found = days.find(date.days());
    if (found == days.end()) return std::nullopt;
    return found->second;
}

std::vector<std::pair<CivilDate, std::string>> BusinessCalendar::national_holidays(int year) {
    std::vector<std::pair<CivilDate, std::string>> out;
    for (const auto& [day, name] : holidays_cached(year))
        out.emplace_back(CivilDate::from_days(day), name);
    return out;
}

bool BusinessCalendar::is_business_day(CivilDate date) const {
    const int weekday = date.weekday();
    if (weekday == 0 || weekday == 6) return false;
    if ((date.month == 12 && date.day >= 29) || (date.month == 1 && date.day <= 3)) return false;
    if (extra_closures_.count(date.days())) return false;
    return !national_holiday(date).has_value();
}

CivilDate BusinessCalendar::add_business_days(CivilDate date, int n) const {
    std::int64_t day = date.days();
    for (int counted = 0; counted < n;) {
        ++day;
        if (is_business_day(CivilDate::from_days(day))) ++counted;
    }
    return CivilDate::from_days(day);
}

int BusinessCalendar::business_days_between(CivilDate from, CivilDate to) const {
    int count = 0;
    for (std::int64_t day = from.days() + 1; day <= to.days(); ++day) {
        if (is_business_day(CivilDate::from_days(day))) ++count;
    }
    return count;
}

}  // namespace kakitome::workflow
