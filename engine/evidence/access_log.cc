#include "engine/evidence/access_log.h"

#include <array>
#include <charconv>

#include <nlohmann/json.hpp>

#include "events/base/percent_encoding.h"
#include "events/base/timestamp.h"

namespace kakitome::evidence {

namespace {

using Outcome = AccessLogParser::Outcome;

bool digits(std::string_view text, std::size_t at, std::size_t count, int& value) {
    if (at + count > text.size()) return false;
    value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        value = value * 10 + (text[i] - '0');
    }
    return true;
}

template <typename Integer>
bool number(std::string_view text, Integer& value) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc() && end == text.data() + text.size();
}

// "-" is how every one of these formats writes "nothing".
std::string_view dash_empty(std::string_view text) {
    return text == "-" ? std::string_view() : text;
}

// "GET /path?query HTTP/1.1" → method, path, query. A request line that is no request (a TLS
// handshake sent to the HTTP port, "-") leaves them empty: the line parsed, the request names
// no page.
void split_request(std::string_view request, AccessLine& out) {
    out.method.clear();
    out.path.clear();
    out.query.clear();
    const auto first_space = request.find(' ');
    if (first_space == std::string_view::npos) return;
    std::string_view target = request.substr(first_space + 1);
    target = target.substr(0, target.find(' '));
    if (target.empty() || target.front() != '/') return;
    out.method.assign(request.substr(0, first_space));
    const auto question = target.find('?');
    out.path.assign(target.substr(0, question));
    if (question != std::string_view::npos) out.query.assign(target.substr(question + 1));
}

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// "20/May/2025:10:11:12 +0900"
std::optional<std::int64_t> combined_time_ms(std::string_view text) {
    int day = 0, year = 0, hour = 0, minute = 0, second = 0, offset_hours = 0, offset_minutes = 0;
    if (text.size() != 26 || !digits(text, 0, 2, day) || text[2] != '/' || text[6] != '/' ||
        !digits(text, 7, 4, year) || text[11] != ':' || !digits(text, 12, 2, hour) ||
        !digits(text, 15, 2, minute) || !digits(text, 18, 2, second) || text[20] != ' ' ||
        (text[21] != '+' && text[21] != '-') || !digits(text, 22, 2, offset_hours) ||
        !digits(text, 24, 2, offset_minutes))
        return std::nullopt;
    unsigned month = 0;
    for (unsigned i = 0; i < kMonths.size(); ++i)
        if (text.substr(3, 3) == kMonths[i]) month = i + 1;
    if (month == 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return std::nullopt;
    const std::int64_t offset =
        (text[21] == '-' ? -1 : 1) * (offset_hours * 3600LL + offset_minutes * 60LL);
    return ((days_from_civil(year, month, static_cast<unsigned>(day)) * 86400LL + hour * 3600LL +
             minute * 60LL + second) -
            offset) *
           1000;
}

// A quoted field of a combined log starting at `at` (on the quote): its text without the
// quotes, backslash escapes kept as logged; `at` moves past the closing quote.
std::optional<std::string_view> quoted(std::string_view line, std::size_t& at) {
    if (at >= line.size() || line[at] != '"') return std::nullopt;
    const std::size_t start = ++at;
    while (at < line.size() && line[at] != '"') at += line[at] == '\\' ? 2 : 1;
    if (at >= line.size()) return std::nullopt;
    return line.substr(start, at++ - start);
}

std::string_view token(std::string_view line, std::size_t& at) {
    const std::size_t start = at;
    while (at < line.size() && line[at] != ' ') ++at;
    return line.substr(start, at - start);
}

bool skip_space(std::string_view line, std::size_t& at) {
    if (at >= line.size() || line[at] != ' ') return false;
    while (at < line.size() && line[at] == ' ') ++at;
    return true;
}

}  // namespace

std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
    // Shift the year to start in March so that the leap day is the year's last day.
    year -= month <= 2 ? 1 : 0;
    const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
    const auto year_of_era = static_cast<unsigned>(year - era * 400);
    const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    const unsigned day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

std::string AccessLine::decoded_user_agent() const {
    return user_agent_encoded ? percent_decode(user_agent) : user_agent;
}

std::optional<LogFormat> log_format_named(std::string_view name) {
    if (name == "cloudfront") return LogFormat::cloudfront;
    if (name == "nginx-combined") return LogFormat::nginx_combined;
    if (name == "apache-combined") return LogFormat::apache_combined;
    if (name == "jsonl") return LogFormat::jsonl;
    return std::nullopt;
}

std::string_view log_format_name(LogFormat format) {
    switch (format) {
        case LogFormat::cloudfront:
            return "cloudfront";
        case LogFormat::nginx_combined:
            return "nginx-combined";
        case LogFormat::apache_combined:
            return "apache-combined";
        case LogFormat::jsonl:
            return "jsonl";
    }
    return "";
}

AccessLogParser::AccessLogParser(LogFormat format, std::vector<std::string> extra_fields)
    : format_(format), extra_fields_(std::move(extra_fields)) {}

Outcome AccessLogParser::parse(std::string_view line, AccessLine& out, std::string& reason) {
    if (line.empty()) return Outcome::skipped;
    switch (format_) {
        case LogFormat::cloudfront:
            return parse_cloudfront(line, out, reason);
        case LogFormat::nginx_combined:
        case LogFormat::apache_combined:
            return parse_combined(line, out, reason);
        case LogFormat::jsonl:
            return parse_jsonl(line, out, reason);
    }
    return Outcome::bad;
}

Outcome AccessLogParser::parse_cloudfront(std::string_view line, AccessLine& out,
                                          std::string& reason) {
    if (line.front() == '#') {
        constexpr std::string_view kFields = "#Fields:";
        if (line.substr(0, kFields.size()) != kFields) return Outcome::skipped;
        Columns columns;
        int index = 0;
        std::size_t at = kFields.size();
        while (at < line.size()) {
            while (at < line.size() && line[at] == ' ') ++at;
            const std::string_view name = token(line, at);
            if (name.empty()) break;
            if (name == "date")
                columns.date = index;
            else if (name == "time")
                columns.time = index;
            else if (name == "c-ip")
                columns.address = index;
            else if (name == "cs-method")
                columns.method = index;
            else if (name == "cs-uri-stem")
                columns.stem = index;
            else if (name == "cs-uri-query")
                columns.query = index;
            else if (name == "sc-status")
                columns.status = index;
            else if (name == "sc-bytes")
                columns.bytes = index;
            else if (name == "cs(User-Agent)")
                columns.user_agent = index;
            else if (name == "cs(Cookie)")
                columns.cookie = index;
            else if (name == "x-edge-result-type")
                columns.result = index;
            else if (name == "x-edge-request-id")
                columns.request_id = index;
            else if (name == "x-edge-location")
                columns.edge = index;
            ++index;
        }
        if (columns.date < 0 || columns.time < 0 || columns.address < 0 || columns.stem < 0 ||
            columns.status < 0) {
            reason = "#Fields: lacks date, time, c-ip, cs-uri-stem or sc-status";
            columns_.reset();
            return Outcome::bad;
        }
        columns_ = columns;
        return Outcome::skipped;
    }
    if (!columns_) {
        reason = "no #Fields: header before the first request";
        return Outcome::bad;
    }
    cells_.clear();
    std::size_t start = 0;
    while (true) {
        const auto tab = line.find('\t', start);
        cells_.push_back(line.substr(start, tab - start));
        if (tab == std::string_view::npos) break;
        start = tab + 1;
    }
    const Columns& c = *columns_;
    auto cell = [&](int column) {
        return column >= 0 && static_cast<std::size_t>(column) < cells_.size()
                   ? dash_empty(cells_[static_cast<std::size_t>(column)])
                   : std::string_view();
    };
    const int needed = std::max({c.date, c.time, c.address, c.stem, c.status});
    if (cells_.size() <= static_cast<std::size_t>(needed)) {
        reason = "fewer columns than #Fields: names";
        return Outcome::bad;
    }
    const std::string_view date = cell(c.date), time = cell(c.time);
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (date.size() != 10 || time.size() != 8 || !digits(date, 0, 4, year) ||
        !digits(date, 5, 2, month) || !digits(date, 8, 2, day) || !digits(time, 0, 2, hour) ||
        !digits(time, 3, 2, minute) || !digits(time, 6, 2, second) || month < 1 || month > 12 ||
        day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
        reason = "bad date or time";
        return Outcome::bad;
    }
    out.at_ms =
        (days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400LL +
         hour * 3600LL + minute * 60LL + second) *
        1000;
    if (!number(cell(c.status), out.status)) {
        reason = "bad sc-status";
        return Outcome::bad;
    }
    out.bytes = 0;
    if (!cell(c.bytes).empty() && !number(cell(c.bytes), out.bytes)) {
        reason = "bad sc-bytes";
        return Outcome::bad;
    }
    out.path.assign(cell(c.stem));
    out.query.assign(cell(c.query));
    // CloudFront URL-encodes the cookie header (";%20" between cookies): decoded once here, and
    // never again (cookie_value() takes a value as it stands). The other text fields wait for
    // complete(): most lines are for pages nobody imports.
    const std::string_view cookie = cell(c.cookie);
    if (cookie.empty())
        out.cookie.clear();
    else
        out.cookie = percent_decode(cookie);
    pending_cloudfront_ = true;
    return Outcome::parsed;
}

void AccessLogParser::complete(AccessLine& out) {
    if (!pending_cloudfront_ || !columns_) return;
    pending_cloudfront_ = false;
    const Columns& c = *columns_;
    auto cell = [&](int column) {
        return column >= 0 && static_cast<std::size_t>(column) < cells_.size()
                   ? dash_empty(cells_[static_cast<std::size_t>(column)])
                   : std::string_view();
    };
    out.address.assign(cell(c.address));
    out.method.assign(cell(c.method));
    out.user_agent.assign(cell(c.user_agent));  // decoded for the requests kept only
    out.user_agent_encoded = true;
    out.cache.assign(cell(c.result));
    out.request_id.assign(cell(c.request_id));
    out.edge.assign(cell(c.edge));
}

Outcome AccessLogParser::parse_combined(std::string_view line, AccessLine& out,
                                        std::string& reason) {
    std::size_t at = 0;
    const std::string_view address = token(line, at);
    if (address.empty() || !skip_space(line, at)) {
        reason = "no client address";
        return Outcome::bad;
    }
    token(line, at);  // ident
    skip_space(line, at);
    token(line, at);  // user
    if (!skip_space(line, at) || at >= line.size() || line[at] != '[') {
        reason = "no [time]";
        return Outcome::bad;
    }
    const auto close = line.find(']', at);
    if (close == std::string_view::npos) {
        reason = "no [time]";
        return Outcome::bad;
    }
    const auto at_ms = combined_time_ms(line.substr(at + 1, close - at - 1));
    if (!at_ms) {
        reason = "bad time";
        return Outcome::bad;
    }
    at = close + 1;
    std::optional<std::string_view> request;
    if (!skip_space(line, at) || !(request = quoted(line, at))) {
        reason = "no \"request\"";
        return Outcome::bad;
    }
    skip_space(line, at);
    if (!number(token(line, at), out.status)) {
        reason = "bad status";
        return Outcome::bad;
    }
    skip_space(line, at);
    const std::string_view bytes = token(line, at);
    out.bytes = 0;
    if (bytes != "-" && !number(bytes, out.bytes)) {
        reason = "bad bytes";
        return Outcome::bad;
    }
    out.at_ms = *at_ms;
    out.address.assign(address);
    split_request(*request, out);
    out.user_agent.clear();
    out.cookie.clear();
    out.cache.clear();
    out.request_id.clear();
    out.edge.clear();
    out.user_agent_encoded = false;
    if (skip_space(line, at)) {
        if (!quoted(line, at) || !skip_space(line, at)) {  // referer
            reason = "bad \"referer\"";
            return Outcome::bad;
        }
        const auto user_agent = quoted(line, at);
        if (!user_agent) {
            reason = "bad \"user agent\"";
            return Outcome::bad;
        }
        out.user_agent.assign(dash_empty(*user_agent));
    }
    for (const auto& name : extra_fields_) {
        if (!skip_space(line, at)) break;  // fields the line does not have stay empty
        std::string_view value;
        if (at < line.size() && line[at] == '"') {
            auto text = quoted(line, at);
            if (!text) {
                reason = "bad \"" + name + "\"";
                return Outcome::bad;
            }
            value = *text;
        } else {
            value = token(line, at);
        }
        value = dash_empty(value);
        if (name == "upstream_cache_status")
            out.cache.assign(value);
        else if (name == "cookie" || name == "http_cookie")
            out.cookie.assign(value);
        else if (name == "request_id")
            out.request_id.assign(value);
    }
    return Outcome::parsed;
}

Outcome AccessLogParser::parse_jsonl(std::string_view line, AccessLine& out, std::string& reason) {
    const auto object = nlohmann::json::parse(line, nullptr, false);
    if (!object.is_object()) {
        reason = "not a JSON object";
        return Outcome::bad;
    }
    auto text = [&](const char* key) {
        return object.contains(key) && object[key].is_string() ? object[key].get<std::string>()
                                                               : std::string();
    };
    const auto at_ms = parse_rfc3339_ms(text("time"));
    if (!at_ms) {
        reason = "\"time\" is not an RFC 3339 time";
        return Outcome::bad;
    }
    if (!object.contains("status") || !object["status"].is_number_integer() ||
        object["status"].get<std::int64_t>() < 100 || object["status"].get<std::int64_t>() > 999) {
        reason = "\"status\" is not an HTTP status";
        return Outcome::bad;
    }
    out.at_ms = *at_ms;
    out.status = object["status"].get<int>();
    out.bytes = object.contains("bytes") && object["bytes"].is_number_integer()
                    ? object["bytes"].get<std::int64_t>()
                    : 0;
    out.address = text("remote_addr");
    out.user_agent = text("user_agent");
    out.method = text("method");
    out.path = text("path");
    out.query = text("query");
    out.cookie = text("cookie");
    out.cache = text("cache");
    out.request_id = text("request_id");
    out.edge = text("edge");
    out.user_agent_encoded = false;
    if (out.path.empty() || out.path.front() != '/') {
        reason = "\"path\" does not start with /";
        return Outcome::bad;
    }
    return Outcome::parsed;
}

}  // namespace kakitome::evidence
