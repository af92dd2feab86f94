// BusinessCalendar: the secretariat's working days (docs/design.md §4).
//
// A day is a business day unless it is a Saturday or Sunday, a national holiday under the
// Act on National Holidays (国民の祝日に関する法律) as amended through 2018 — fixed days, Happy
// Monday days, the vernal and autumnal equinox days by the standard approximation, substitute
// holidays (振替休日) and citizens' holidays (国民の休日) —, within the year-end closure
// 12/29–1/3, or an extra closure given in the configuration.
// Supported years: 2020–2099 (the equinox formula holds to 2099; 2020 and 2021 carry the
// Olympic moves of 海の日, スポーツの日 and 山の日). Outside that range only weekends, the
// year-end closure and extra closures apply; `supports()` says so.
// Immutable after construction; thread-safe.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/workflow/civil_date.h"

namespace kakitome::workflow {

class BusinessCalendar {
  public:
    explicit BusinessCalendar(std::vector<CivilDate> extra_closures = {});

    static bool supports(int year) { return year >= 2020 && year <= 2099; }
    // The holiday's name (e.g. "春分の日", "振替休日", "国民の休日"), or nullopt.
    static std::optional<std::string> national_holiday(CivilDate date);
    // Every national holiday of a year, in date order.
    static std::vector<std::pair<CivilDate, std::string>> national_holidays(int year);
    static int vernal_equinox_day(int year);    // day of March
    static int autumnal_equinox_day(int year);  // day of September

    bool is_business_day(CivilDate date) const;
    // The n-th business day after `date` (n >= 1); `date` itself does not count.
    CivilDate add_business_days(CivilDate date, int n) const;
    // Business days in (from, to]; 0 when to <= from.
    int business_days_between(CivilDate from, CivilDate to) const;

  private:
    std::set<std::int64_t> extra_closures_;  // days since epoch
};

}  // namespace kakitome::workflow
