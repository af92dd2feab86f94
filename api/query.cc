#include "api/query.h"

#include <charconv>
#include <sstream>

#include "api/answers.h"
#include "events/base/percent_encoding.h"

namespace kakitome::api {

std::map<std::string, std::string> query_of(const std::string& target) {
    std::map<std::string, std::string> query;
    const auto question = target.find('?');
    if (question == std::string::npos) return query;
    std::stringstream in(target.substr(question + 1));
    for (std::string pair; std::getline(in, pair, '&');) {
        const auto equals = pair.find('=');
        query[percent_decode(pair.substr(0, equals))] =
            equals == std::string::npos ? "" : percent_decode(pair.substr(equals + 1));
    }
    return query;
}

std::optional<std::uint64_t> number(const std::string& text) {
    std::uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty())
        return std::nullopt;
    return value;
}

std::optional<std::uint64_t> version_of_if_match(std::string text) {
    if (text.rfind("W/", 0) == 0) text = text.substr(2);
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
        text = text.substr(1, text.size() - 2);
    if (!text.empty() && text.front() == 'v') text = text.substr(1);
    return number(text);
}

std::variant<std::pair<std::uint64_t, std::uint64_t>, HttpResponse> page_parameters(
    std::map<std::string, std::string>& query, const char* cursor_name) {
    std::uint64_t from = 1;
    if (query.count("from")) {
        auto parsed = number(query["from"]);
        if (!parsed || *parsed == 0)
            return problem(400, "invalid_cursor",
                           std::string("from must be a ") + cursor_name + " >= 1");
        from = *parsed;
    }
    auto limit = page_limit(query);
    if (auto* refused = std::get_if<HttpResponse>(&limit)) return std::move(*refused);
    return std::make_pair(from, std::get<std::uint64_t>(limit));
}

std::variant<std::uint64_t, HttpResponse> page_limit(std::map<std::string, std::string>& query) {
    if (!query.count("limit")) return kDefaultPageLimit;
    auto parsed = number(query["limit"]);
    if (!parsed || *parsed == 0 || *parsed > kMaxPageLimit)
        return problem(400, "invalid_limit", "limit must be 1 to " + std::to_string(kMaxPageLimit));
    return *parsed;
}

}  // namespace kakitome::api
