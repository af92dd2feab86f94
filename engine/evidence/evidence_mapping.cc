#include "engine/evidence/evidence_mapping.h"

#include <algorithm>

#include <boost/regex.hpp>
#include <nlohmann/json.hpp>

#include "events/base/percent_encoding.h"
#include "events/base/sha256.h"
#include "events/base/timestamp.h"
#include "events/event.h"

namespace kakitome::evidence {

using nlohmann::json;

namespace {

Status bad_mapping(const std::string& what) {
    return Status::invalid_argument("mapping: " + what).with_reason("bad_mapping");
}

// The value after "name=" in a list separated by `separator` (cookies: ';' with spaces).
std::string_view value_in_list(std::string_view list, std::string_view name, char separator) {
    while (!list.empty()) {
        const auto end = list.find(separator);
        std::string_view part = list.substr(0, end);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        if (part.size() > name.size() && part.substr(0, name.size()) == name &&
            part[name.size()] == '=')
            return part.substr(name.size() + 1);
        if (end == std::string_view::npos) break;
        list.remove_prefix(end + 1);
    }
    return {};
}

const std::vector<std::string> kRegistrationFields = {
    "registration", "registered_at", "organization", "department", "name", "email", "phone"};

}  // namespace

std::string cookie_value(std::string_view cookie_header, std::string_view name) {
    return std::string(value_in_list(cookie_header, name, ';'));
}

std::string query_value(std::string_view query, std::string_view name) {
    return percent_decode(value_in_list(query, name, '&'), true);
}

struct PageRule::Compiled {
    boost::regex path;
    std::string source;  // query | cookie | path_group
    std::string source_name;
    int path_group = 0;
};

PageRule::PageRule() : compiled_(std::make_unique<Compiled>()) {}
PageRule::PageRule(PageRule&&) noexcept = default;
PageRule& PageRule::operator=(PageRule&&) noexcept = default;
PageRule::~PageRule() = default;

Result<PageRule> PageRule::make(const std::string& path_pattern, const std::string& source,
                                const std::string& source_name, int path_group) {
    PageRule rule;
    try {
        rule.compiled_->path = boost::regex(path_pattern, boost::regex::ECMAScript);
    } catch (const boost::regex_error& error) {
        return bad_mapping("pages.path is not a regular expression: " + std::string(error.what()));
    }
    if (source == "path_group" && (path_group < 1 || static_cast<std::size_t>(path_group) >
                                                         rule.compiled_->path.mark_count()))
        return bad_mapping("pages.registration.path_group " + std::to_string(path_group) +
                           " is not a group of pages.path");
    if ((source == "query" || source == "cookie") && source_name.empty())
        return bad_mapping("pages.registration." + source + " needs a name");
    rule.compiled_->source = source;
    rule.compiled_->source_name = source_name;
    rule.compiled_->path_group = path_group;
    return rule;
}

Result<std::optional<std::string>> PageRule::registration_of(std::string_view path,
                                                             std::string_view query,
                                                             std::string_view cookie) const {
    boost::match_results<std::string_view::const_iterator> match;
    try {
        if (!boost::regex_match(path.begin(), path.end(), match, compiled_->path))
            return std::optional<std::string>();
    } catch (const std::runtime_error&) {
        return Status::invalid_argument("the path is too complex for pages.path to match");
    }
    std::string registration;
    if (compiled_->source == "path_group")
        registration = percent_decode(
            std::string(match[compiled_->path_group].first, match[compiled_->path_group].second));
    else if (compiled_->source == "cookie")
        registration = cookie_value(cookie, compiled_->source_name);
    else
        registration = query_value(query, compiled_->source_name);
    return std::optional<std::string>(std::move(registration));
}

std::string CacheRule::key_of(std::string_view path, std::string_view query,
                              std::string_view cookie) const {
    std::string out(path);
    if (key == "path+query") {
        out += '?';
        out += query;
    } else if (key.rfind("path+cookie:", 0) == 0) {
        out += "\ncookie=";
        out += cookie_value(cookie, std::string_view(key).substr(12));
    }
    return out;
}

Result<EvidenceMapping> parse_mapping(std::string_view json_text) {
    json root = json::parse(json_text, nullptr, false);
    if (!root.is_object()) return bad_mapping("not a JSON object");
    EvidenceMapping mapping;
    auto canonical = canonicalize_json(json_text);
    if (!canonical.is_ok()) return bad_mapping(canonical.status().message());
    mapping.canonical_json = canonical.value();
    mapping.sha256 = to_hex(sha256(mapping.canonical_json));
    for (const auto& [key, value] : root.items()) {
        if (key != "registrations" && key != "pages" && key != "cache" && key != "log")
            return bad_mapping("unknown section \"" + key + "\"");
        if (!value.is_object()) return bad_mapping(key + " must be an object");
    }
    auto text = [](const json& object, const char* key, const std::string& fallback) {
        return object.contains(key) && object[key].is_string() ? object[key].get<std::string>()
                                                               : fallback;
    };
    if (root.contains("registrations")) {
        const json& section = root["registrations"];
        RegistrationColumns columns;
        columns.encoding = text(section, "encoding", "auto");
        if (columns.encoding != "auto" && columns.encoding != "utf-8" &&
            columns.encoding != "cp932")
            return bad_mapping("registrations.encoding must be auto, utf-8 or cp932");
        columns.time_zone = text(section, "time_zone", "+09:00");
        if (!parse_rfc3339_ms("2000-01-01T00:00:00" + columns.time_zone))
            return bad_mapping("registrations.time_zone must be like +09:00");
        if (!section.contains("columns") || !section["columns"].is_object())
            return bad_mapping("registrations.columns must map fields to column headers");
        for (const auto& [field, header] : section["columns"].items()) {
            if (std::find(kRegistrationFields.begin(), kRegistrationFields.end(), field) ==
                kRegistrationFields.end())
                return bad_mapping("registrations.columns: unknown field \"" + field + "\"");
            if (!header.is_string() || header.get<std::string>().empty())
                return bad_mapping("registrations.columns." + field + " must name a column");
            columns.columns[field] = header.get<std::string>();
        }
        if (!columns.columns.count("registration"))
            return bad_mapping("registrations.columns needs \"registration\"");
        mapping.registrations = std::move(columns);
    }
    if (root.contains("pages")) {
        const json& section = root["pages"];
        if (!section.contains("path") || !section["path"].is_string())
            return bad_mapping("pages.path must be a regular expression");
        const json registration = section.value("registration", json::object());
        std::string source, name;
        int group = 0;
        if (registration.contains("query") && registration["query"].is_string()) {
            source = "query";
            name = registration["query"];
        } else if (registration.contains("cookie") && registration["cookie"].is_string()) {
            source = "cookie";
            name = registration["cookie"];
        } else if (registration.contains("path_group") &&
                   registration["path_group"].is_number_integer()) {
            source = "path_group";
            group = registration["path_group"];
        } else {
            return bad_mapping(
                "pages.registration must be {\"query\": NAME}, {\"cookie\": NAME} or "
                "{\"path_group\": N}");
        }
        auto rule = PageRule::make(section["path"], source, name, group);
        if (!rule.is_ok()) return rule.status();
        mapping.pages = std::move(rule).value();
    }
    if (root.contains("cache")) {
        const json& section = root["cache"];
        mapping.cache.key = text(section, "key", "path+query");
        if (mapping.cache.key != "path" && mapping.cache.key != "path+query" &&
            !(mapping.cache.key.rfind("path+cookie:", 0) == 0 && mapping.cache.key.size() > 12))
            return bad_mapping("cache.key must be path, path+query or path+cookie:NAME");
        if (!section.contains("ttl_seconds") || !section["ttl_seconds"].is_number_integer() ||
            section["ttl_seconds"].get<std::int64_t>() < 0)
            return bad_mapping("cache.ttl_seconds must be a whole number of seconds ≥ 0");
        mapping.cache.ttl_seconds = section["ttl_seconds"];
    } else {
        // Without a stated cache every request was answered for itself.
        mapping.cache.key = "path+query";
    }
    if (root.contains("log")) {
        const json& section = root["log"];
        if (section.contains("extra_fields")) {
            if (!section["extra_fields"].is_array())
                return bad_mapping("log.extra_fields must be a list of names");
            for (const auto& name : section["extra_fields"]) {
                if (!name.is_string()) return bad_mapping("log.extra_fields must be names");
                mapping.extra_log_fields.push_back(name);
            }
        }
    }
    return mapping;
}

}  // namespace kakitome::evidence
