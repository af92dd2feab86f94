#include "engine/form/japanese_date.h"

#include <cmath>
#include <cstdio>
#include <regex>

#include "engine/form/text_normalization.h"

namespace kakitome::form {

namespace {

struct Era {
    const char* kanji;
    const char* letter;
    int first_year;              // Western year of era year 1
    int start_month, start_day;  // first day of the era
};
constexpr Era kEras[] = {{"令和", "r", 2019, 5, 1}, {"平成", "h", 1989, 1, 8}};

std::string iso(int year, int month, int day) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", year, month, day);
    return buffer;
}

std::optional<std::string> checked(int year, int month, int day) {
    if (!is_valid_calendar_date(year, month, day)) return std::nullopt;
    return iso(year, month, day);
}

}  // namespace

bool is_valid_calendar_date(int year, int month, int day) {
    if (year < 1900 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

std::optional<std::string> parse_japanese_date(std::string_view text) {
    // matching_key: NFKC (full-width digits and letters), case-folded, no whitespace.
    const std::string key = matching_key(text);
    std::smatch match;
    static const std::regex era_kanji(R"(^(令和|平成)(\d{1,2}|元)年(\d{1,2})月(\d{1,2})(?:日)?$)");
    static const std::regex era_letter(R"(^(r|h)(\d{1,2})[./\-](\d{1,2})[./\-](\d{1,2})$)");
    static const std::regex western(
        R"(^(\d{4})(?:年|/|-|\.)(\d{1,2})(?:月|/|-|\.)(\d{1,2})(?:日)?$)");
    for (const Era& era : kEras) {
        if ((std::regex_match(key, match, era_kanji) && match[1] == era.kanji) ||
            (std::regex_match(key, match, era_letter) && match[1] == era.letter)) {
            const int era_year = match[2] == "元" ? 1 : std::stoi(match[2]);
            const int year = era.first_year + era_year - 1, month = std::stoi(match[3]),
                      day = std::stoi(match[4]);
            // An era date before the era began (令和1年4月1日) does not exist.
            if (era_year < 1 ||
                (era_year == 1 &&
                 (month < era.start_month || (month == era.start_month && day < era.start_day)))) {
                return std::nullopt;
            }
            return checked(year, month, day);
        }
    }
    if (std::regex_match(key, match, western)) {
        return checked(std::stoi(match[1]), std::stoi(match[2]), std::stoi(match[3]));
    }
    return std::nullopt;
}

std::optional<std::string> excel_serial_to_date(double serial) {
    if (!std::isfinite(serial) || serial < 1 || serial >= 2958466) return std::nullopt;
    long days = static_cast<long>(std::floor(serial));
    if (days == 60) return std::nullopt;  // 1900-02-29 never existed
    if (days > 60) --days;                // skip Lotus 1-2-3's phantom leap day
    // Serial 1 is 1900-01-01, which is 25,567 days before 1970-01-01; then the civil-from-days
    // algorithm (H. Hinnant) turns days since the epoch into a date.
    long z = days - 25568;
    z += 719468;
    const long era = (z >= 0 ? z : z - 146096) / 146097;
    const long doe = z - era * 146097;
    const long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const long mp = (5 * doy + 2) / 153;
    const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    const int year = static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
    return checked(year, month, day);
}

}  // namespace kakitome::form
