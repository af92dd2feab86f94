// One line of a web or CDN access log into the fields an inquiry needs:
//   cloudfront       CloudFront standard logs: tab-separated, columns named by the "#Fields:"
//                    header (date, time, c-ip, cs-method, cs-uri-stem, cs-uri-query, sc-status,
//                    sc-bytes, cs(User-Agent), cs(Cookie), x-edge-result-type, x-edge-request-id)
//   nginx-combined   $remote_addr - $remote_user [$time_local] "$request" $status
//   apache-combined  $body_bytes_sent "$http_referer" "$http_user_agent", then the fields the
//                    mapping's log.extra_fields names (upstream_cache_status, cookie, request_id)
//   jsonl            one JSON object per line: time (RFC 3339), remote_addr, user_agent, method,
//                    path, query, status, bytes, cache, cookie, request_id
// A line is parsed, skipped (a comment or header) or bad, with the reason; nothing is dropped
// without one of those three answers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kakitome::evidence {

enum class LogFormat { cloudfront, nginx_combined, apache_combined, jsonl };
std::optional<LogFormat> log_format_named(std::string_view name);
std::string_view log_format_name(LogFormat format);

// Reused from line to line (assignments keep their capacity).
struct AccessLine {
    std::int64_t at_ms = 0;
    std::string address, user_agent, method, path, query, cookie, cache, request_id;
    // CloudFront's x-edge-location: each edge keeps its own cache, so a hit there can only be
    // of a fill there. Empty for a single cache (nginx, Apache).
    std::string edge;
    int status = 0;
    std::int64_t bytes = 0;
    // CloudFront writes the user agent URL-encoded; it is decoded only for the requests that
    // are kept (decoded_user_agent()), not for every line of a large log.
    bool user_agent_encoded = false;
    std::string decoded_user_agent() const;
};

class AccessLogParser {
  public:
    enum class Outcome { parsed, skipped, bad };
    AccessLogParser(LogFormat format, std::vector<std::string> extra_fields);
    // On bad, `reason` says why in a few words. A parsed line has its time, status, bytes,
    // path, query and cookie; complete() adds the rest (address, method, user agent, cache,
    // request id, edge) for a line that is kept — valid until the next parse().
    Outcome parse(std::string_view line, AccessLine& out, std::string& reason);
    void complete(AccessLine& out);

  private:
    Outcome parse_cloudfront(std::string_view line, AccessLine& out, std::string& reason);
    Outcome parse_combined(std::string_view line, AccessLine& out, std::string& reason);
    Outcome parse_jsonl(std::string_view line, AccessLine& out, std::string& reason);
    LogFormat format_;
    std::vector<std::string> extra_fields_;
    // CloudFront: the column of each field we read, from "#Fields:" (-1: not logged).
    struct Columns {
        int date = -1, time = -1, edge = -1, address = -1, method = -1, stem = -1, query = -1,
            status = -1, bytes = -1, user_agent = -1, cookie = -1, result = -1, request_id = -1;
    };
    std::optional<Columns> columns_;
    std::vector<std::string_view> cells_;  // of the last CloudFront line
    bool pending_cloudfront_ = false;
};

// Days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day);

}  // namespace kakitome::evidence
