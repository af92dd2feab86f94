#include "engine/workflow/civil_date.h"

#include <charconv>
#include <cstdio>

namespace kakitome::workflow {

namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

}  // namespace

// Howard Hinnant's days_from_civil / civil_from_days algorithms (public domain descriptions).
std::int64_t CivilDate::days() const {
    const std::int64_t y = month <= 2 ? year - 1 : year;
    const std::int64_t era = floor_div(y, 400);
    const std::int64_t year_of_era = y - era * 400;
    const std::int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const std::int64_t day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

CivilDate CivilDate::from_days(std::int64_t days_since_epoch) {
    const std::int64_t z = days_since_epoch + 719468;
    const std::int64_t era = floor_div(z, 146097);
    const std::int64_t day_of_era = z - era * 146097;
    const std::int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const std::int64_t day_of_year =
        day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const std::int64_t mp = (5 * day_of_year + 2) / 153;
    CivilDate date;
    date.day = static_cast<int>(day_of_year - (153 * mp + 2) / 5 + 1);
    date.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    date.year = static_cast<int>(year_of_era + era * 400 + (date.month <= 2 ? 1 : 0));
    return date;
}

int CivilDate::weekday() const {
    const std::int64_t d = days();
    return static_cast<int>(((d + 4) % 7 + 7) % 7);  // 1970-01-01 was a Thursday
}

std::string CivilDate::to_string() const {
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02d-%02d", year, month, day);
    return text;
}

std::optional<CivilDate> CivilDate::parse(std::string_view iso_date) {
    if (iso_date.size() != 10 || iso_date[4] != '-' || iso_date[7] != '-') return std::nullopt;
    CivilDate date;
    auto number = [&](std::size_t at, std::size_t length, int& out) {
        const auto* begin = iso_date.data() + at;
        auto [end, error] = std::from_chars(begin, begin + length, out);
        return error == std::errc() && end == begin + length;
    };
    if (!number(0, 4, date.year) || !number(5, 2, date.month) || !number(8, 2, date.day))
        return std::nullopt;
    if (date.month < 1 || date.month > 12 || date.day < 1 || from_days(date.days()) != date)
        return std::nullopt;
    return date;
}

CivilDate jst_date_of(std::int64_t epoch_ms) {
    return CivilDate::from_days(floor_div(epoch_ms + kJstOffsetMs, kDayMs));
}

std::int64_t jst_midnight_ms(CivilDate date) {
    return date.days() * kDayMs - kJstOffsetMs;
}

}  // namespace kakitome::workflow
