// AWS Signature Version 4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html)
// with OpenSSL HMAC-SHA256: the canonical request, the string to sign, the Authorization header,
// and S3 presigned GET URLs (query-string authentication) for the video download.
// Pure functions of their inputs (the time is an argument), so they are tested byte for byte
// against AWS's published test suite and botocore's presigner. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kakitome::download {

struct AwsCredentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;  // optional (temporary credentials)
};

// A request as signed. `path` is the decoded path ("/pr/動画.mp4"); query values are decoded.
struct SigningRequest {
    std::string method = "GET";
    std::string path = "/";
    std::vector<std::pair<std::string, std::string>> query;
    std::vector<std::pair<std::string, std::string>>
        headers;                     // in arrival order, duplicates allowed
    std::string payload_sha256_hex;  // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

struct SigningScope {
    std::string amz_date;  // "20150830T123600Z"
    std::string region;
    std::string service;
    std::string date() const { return amz_date.substr(0, 8); }
    std::string to_string() const {
        return date() + "/" + region + "/" + service + "/aws4_request";
    }
};

// RFC 3986 percent-encoding of everything but unreserved characters (A-Z a-z 0-9 - . _ ~);
// '/' is kept when encoding a path.
std::string uri_encode(std::string_view text, bool keep_slash);
// Lowercased names, sorted; values trimmed with inner runs of spaces folded and duplicates
// joined by ',' in arrival order.
std::string canonical_request(const SigningRequest& request);
std::string signed_header_names(const SigningRequest& request);
std::string string_to_sign(const SigningRequest& request, const SigningScope& scope);
std::string signature(const SigningRequest& request, const SigningScope& scope,
                      std::string_view secret_access_key);
std::string authorization_header(const SigningRequest& request, const SigningScope& scope,
                                 const AwsCredentials& credentials);

// Where the video lives: an S3-compatible endpoint ("https://s3.ap-northeast-1.amazonaws.com"
// or "https://storage.example.jp:9000"), a bucket and an object key, virtual-hosted
// (bucket.host) or path-style (host/bucket) addressing.
struct ObjectLocation {
    std::string endpoint;
    std::string bucket;
    std::string key;
    std::string region;
    bool path_style = false;
};

// A presigned GET URL valid for `expires_seconds` from `epoch_seconds`.
std::string presign_get_url(const ObjectLocation& object, const AwsCredentials& credentials,
                            std::int64_t epoch_seconds, int expires_seconds);

// "20150830T123600Z" for an instant.
std::string amz_date(std::int64_t epoch_seconds);

}  // namespace kakitome::download
