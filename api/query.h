// Reading a request's target: query parameters (percent-decoded), numbers, If-Match versions
// and the paging parameters every list route takes. Shared by the service and its handlers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "api/http/http_types.h"

namespace kakitome::api {

using http::HttpResponse;

// Query parameters of a target ("a=1&b=2"), names and values percent-decoded
// (events/base/percent_encoding.h); '+' stays '+' (RFC 3986 queries, not HTML forms), so
// "2026-11-24T00:00:00+09:00" works both escaped and raw. Anything else is rejected by the
// handlers' own checks.
std::map<std::string, std::string> query_of(const std::string& target);

std::optional<std::uint64_t> number(const std::string& text);

// ETag / If-Match form of a stream version: "v12" (quoted). Accepts W/ and bare numbers too.
std::optional<std::uint64_t> version_of_if_match(std::string text);

// Every list route's page: kDefaultPageLimit items unless `limit` asks for up to kMaxPageLimit
// (a page is built in memory and sent whole).
inline constexpr std::uint64_t kDefaultPageLimit = 100;
inline constexpr std::uint64_t kMaxPageLimit = 1000;

// `limit` of a paged request (kDefaultPageLimit when absent); a problem response when it is not
// 1 to kMaxPageLimit.
std::variant<std::uint64_t, HttpResponse> page_limit(std::map<std::string, std::string>& query);

// `from` (a cursor, >= 1, default 1) and `limit` (page_limit) of a paged request; a problem
// response when either is malformed.
std::variant<std::pair<std::uint64_t, std::uint64_t>, HttpResponse> page_parameters(
    std::map<std::string, std::string>& query, const char* cursor_name);

}  // namespace kakitome::api
