#include "engine/download/sigv4.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include <openssl/evp.h>

#include "events/base/hmac.h"
#include "events/base/sha256.h"

namespace kakitome::download {

namespace {

std::string hex_of(std::string_view bytes) {
    return to_hex(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// Trim, and fold every run of spaces (and tabs, as folded header lines leave) into one space.
std::string canonical_header_value(std::string_view value) {
    std::string out;
    bool in_space = false;
    for (char c : value) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            in_space = true;
            continue;
        }
        if (in_space && !out.empty()) out += ' ';
        in_space = false;
        out += c;
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> canonical_headers(const SigningRequest& request) {
    std::vector<std::pair<std::string, std::string>> merged;  // sorted by name, values joined
    for (const auto& [name, value] : request.headers) {
        const std::string key = lowercase(name);
        auto found = std::find_if(merged.begin(), merged.end(),
                                  [&](const auto& entry) { return entry.first == key; });
        if (found == merged.end()) {
            merged.emplace_back(key, canonical_header_value(value));
        } else {
            found->second += "," + canonical_header_value(value);
        }
    }
    std::stable_sort(merged.begin(), merged.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    return merged;
}

std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query) {
    std::vector<std::pair<std::string, std::string>> encoded;
    for (const auto& [name, value] : query)
        encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [name, value] : encoded) out += (out.empty() ? "" : "&") + name + "=" + value;
    return out;
}

std::string signing_key(std::string_view secret, const SigningScope& scope) {
    const std::string date_key = hmac_sha256("AWS4" + std::string(secret), scope.date());
    const std::string region_key = hmac_sha256(date_key, scope.region);
    const std::string service_key = hmac_sha256(region_key, scope.service);
    return hmac_sha256(service_key, "aws4_request");
}

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
    static const char* kHex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        const bool unreserved = std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved || (keep_slash && c == '/')) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

std::string signed_header_names(const SigningRequest& request) {
    std::string out;
    for (const auto& [name, value] : canonical_headers(request))
        out += (out.empty() ? "" : ";") + name;
    return out;
}

std::string canonical_request(const SigningRequest& request) {
    std::string out = request.method + "\n" + uri_encode(request.path, true) + "\n" +
                      canonical_query(request.query) + "\n";
    for (const auto& [name, value] : canonical_headers(request)) out += name + ":" + value + "\n";
    out += "\n" + signed_header_names(request) + "\n" + request.payload_sha256_hex;
    return out;
}

std::string string_to_sign(const SigningRequest& request, const SigningScope& scope) {
    return "AWS4-HMAC-SHA256\n" + scope.amz_date + "\n" + scope.to_string() + "\n" +
           to_hex(sha256(canonical_request(request)));
}

std::string signature(const SigningRequest& request, const SigningScope& scope,
                      std::string_view secret_access_key) {
    return hex_of(
        hmac_sha256(signing_key(secret_access_key, scope), string_to_sign(request, scope)));
}

std::string authorization_header(const SigningRequest& request, const SigningScope& scope,
                                 const AwsCredentials& credentials) {
    return "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + scope.to_string() +
           ", SignedHeaders=" + signed_header_names(request) +
           ", Signature=" + signature(request, scope, credentials.secret_access_key);
}

std::string amz_date(std::int64_t epoch_seconds) {
    const std::time_t time = static_cast<std::time_t>(epoch_seconds);
    std::tm utc{};
    gmtime_r(&time, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
    return text;
}

std::string presign_get_url(const ObjectLocation& object, const AwsCredentials& credentials,
                            std::int64_t epoch_seconds, int expires_seconds) {
    const auto scheme_end = object.endpoint.find("://");
    const std::string scheme =
        scheme_end == std::string::npos ? "https" : object.endpoint.substr(0, scheme_end);
    std::string host =
        scheme_end == std::string::npos ? object.endpoint : object.endpoint.substr(scheme_end + 3);
    while (!host.empty() && host.back() == '/') host.pop_back();
    std::string path = "/" + object.key;
    if (object.path_style) {
        path = "/" + object.bucket + path;
    } else {
        host = object.bucket + "." + host;
    }
    const SigningScope scope{amz_date(epoch_seconds), object.region, "s3"};
    SigningRequest request;
    request.method = "GET";
    request.path = path;
    request.headers = {{"host", host}};
    request.payload_sha256_hex = "UNSIGNED-PAYLOAD";
    request.query = {{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
                     {"X-Amz-Credential", credentials.access_key_id + "/" + scope.to_string()},
                     {"X-Amz-Date", scope.amz_date},
                     {"X-Amz-Expires", std::to_string(expires_seconds)},
                     {"X-Amz-SignedHeaders", "host"}};
    if (!credentials.session_token.empty())
        request.query.emplace_back("X-Amz-Security-Token", credentials.session_token);
    // The signature covers the sorted query; the URL lists the parameters in botocore's order.
    std::string query;
    for (const auto& [name, value] : request.query)
        query += (query.empty() ? "" : "&") + name + "=" + uri_encode(value, false);
    return scheme + "://" + host + uri_encode(path, true) + "?" + query +
           "&X-Amz-Signature=" + signature(request, scope, credentials.secret_access_key);
}

}  // namespace kakitome::download
