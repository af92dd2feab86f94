// How to read another system's files for an incident (docs/incidents.md, "An inquiry into
// another system"): which CSV column is which, which requests served a registrant's page, and
// the cache key and lifetime the other system's cache really used. Every system names these
// differently, so a small JSON file says it:
//
//   {"registrations": {"encoding": "auto",            // auto | utf-8 | cp932
//                      "time_zone": "+09:00",         // for times written without an offset
//                      "columns": {"registration": "受付番号", "registered_at": "登録日時",
//                                  "organization": "団体名", "department": "部署名",
//                                  "name": "氏名", "email": "メールアドレス", "phone":
//                                  "電話番号"}},
//    "pages": {"path": "^/register/complete$",        // regex over the whole path
//              "registration": {"query": "rid"}},     // or {"path_group": 1} or {"cookie": "rid"}
//    "cache": {"key": "path", "ttl_seconds": 300},    // path | path+query | path+cookie:NAME
//    "log": {"extra_fields": ["upstream_cache_status"]}}  // nginx/apache fields after the UA
//
// parse_mapping() checks all of it and names what is wrong (invalid_argument, reason
// "bad_mapping"); a mapping without "registrations" cannot import a registration export, one
// without "pages" cannot import a log (the importers say so).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/base/status.h"

namespace kakitome::evidence {

struct RegistrationColumns {
    std::string encoding = "auto";
    std::string time_zone = "+09:00";
    // field (registration, registered_at, organization, department, name, email, phone) →
    // the export's column header; registration is required, the others optional.
    std::map<std::string, std::string> columns;
};

// A request for a page that carries a registrant's data, and which registration it names.
class PageRule {
  public:
    static Result<PageRule> make(const std::string& path_pattern, const std::string& source,
                                 const std::string& source_name, int path_group);
    PageRule(PageRule&&) noexcept;
    PageRule& operator=(PageRule&&) noexcept;
    ~PageRule();
    // nullopt: not such a page. Otherwise the registration it names ("" when it names none).
    // invalid_argument when the expression gives up on this path (Boost.Regex bounds its work:
    // a hostile path against a backtracking pattern is a bad line, never a crash).
    Result<std::optional<std::string>> registration_of(std::string_view path,
                                                       std::string_view query,
                                                       std::string_view cookie) const;

  private:
    PageRule();
    struct Compiled;
    std::unique_ptr<Compiled> compiled_;
};

struct CacheRule {
    std::string key = "path";  // path | path+query | path+cookie:NAME
    std::int64_t ttl_seconds = 0;
    // The text the cache stored a response under, for one request.
    std::string key_of(std::string_view path, std::string_view query,
                       std::string_view cookie) const;
};

struct EvidenceMapping {
    std::string canonical_json;  // what the incident records (ExternalMappingRecorded)
    std::string sha256;
    std::optional<RegistrationColumns> registrations;
    std::optional<PageRule> pages;
    CacheRule cache;
    std::vector<std::string> extra_log_fields;  // after the user agent in combined logs
};

Result<EvidenceMapping> parse_mapping(std::string_view json_text);

// One value of a "name=value; name2=value2" cookie header (as it stands) or of a URL query
// ("a=1&b=2", percent-decoded, '+' read as a space as HTML forms write it); empty when absent.
std::string cookie_value(std::string_view cookie_header, std::string_view name);
std::string query_value(std::string_view query, std::string_view name);

}  // namespace kakitome::evidence
