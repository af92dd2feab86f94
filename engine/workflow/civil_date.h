// CivilDate: a calendar date without a time zone, with day arithmetic (proleptic Gregorian).
// Days are counted from 1970-01-01 so dates convert to and from epoch milliseconds cheaply.
// Japan has no daylight saving time, so a JST date is the UTC instant shifted by +9 hours.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kakitome::workflow {

struct CivilDate {
    int year = 1970;
    int month = 1;
    int day = 1;

    static CivilDate from_days(std::int64_t days_since_epoch);
    std::int64_t days() const;
    // 0 = Sunday ... 6 = Saturday.
    int weekday() const;
    CivilDate plus_days(std::int64_t days) const { return from_days(this->days() + days); }
    std::string to_string() const;  // "2026-05-06"
    static std::optional<CivilDate> parse(std::string_view iso_date);
    auto operator<=>(const CivilDate&) const = default;
};

inline constexpr std::int64_t kJstOffsetMs = 9LL * 3600 * 1000;
inline constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;

// The JST calendar date of an instant.
CivilDate jst_date_of(std::int64_t epoch_ms);
// 00:00 JST of a date, as epoch milliseconds.
std::int64_t jst_midnight_ms(CivilDate date);

}  // namespace kakitome::workflow
