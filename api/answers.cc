#include "api/answers.h"

#include "api/console/console_assets.h"
#include "events/base/aead.h"

namespace kakitome::api {

const std::vector<std::string> kContactFields = {
    "organization", "contact_email", "sender", "sender_name", "filename", "usage_other", "remarks"};

std::string dump(const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool strings_equal_ignoring_case(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

bool sane_request_id(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    for (unsigned char c : id) {
        if (!std::isalnum(c) && c != '-' && c != '_' && c != '.') return false;
    }
    return true;
}

std::string fresh_request_id() {
    return random_hex(12);
}

const std::vector<std::pair<std::string, std::string>>& security_headers() {
    static const std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Security-Policy", kContentSecurityPolicy},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"}};
    return headers;
}

HttpResponse json_response(int status, const json& body) {
    HttpResponse response;
    response.status = status;
    response.body = dump(body);
    response.set_header("Content-Type", "application/json");
    return response;
}

HttpResponse problem(int status, const std::string& type, const std::string& title,
                     const std::string& detail) {
    HttpResponse response;
    response.status = status;
    json body{{"type", http::kProblemBase + type}, {"title", title}, {"status", status}};
    if (!detail.empty()) body["detail"] = detail;
    response.body = dump(body);
    response.set_header("Content-Type", "application/problem+json");
    return response;
}

std::string etag(StreamVersion version) {
    return "\"v" + std::to_string(version.value) + "\"";
}

json event_json(const RecordedEvent& event) {
    json payload = json::parse(event.payload_json, nullptr, false);
    return {{"seq", event.seq.value},         {"stream", event.stream},
            {"version", event.version.value}, {"type", event.type},
            {"schema", event.schema},         {"at", event.at},
            {"actor", event.actor},           {"correlation", event.correlation},
            {"causation", event.causation},   {"payload", payload},
            {"hash", to_hex(event.hash)},     {"prev_hash", to_hex(event.prev_hash)}};
}

int status_for(const Status& status) {
    switch (status.code()) {
        case StatusCode::invalid_argument:
            return status.reason() == "idempotency_key_reused" ? 422 : 400;
        case StatusCode::not_found:
            return 404;
        case StatusCode::conflict:
            return 412;
        case StatusCode::failed_precondition:
            return 409;
        case StatusCode::permission_denied:
            return 403;
        case StatusCode::resource_exhausted:
            return 413;
        case StatusCode::unavailable:
            return 503;
        default:
            return 500;
    }
}

HttpResponse problem_for(const Status& status) {
    const std::string type =
        !status.reason().empty() ? status.reason() : status_code_name(status.code());
    // Out of disk: RFC 4918's 507, so a client retries later rather than shrinking its request.
    const int code = status.reason() == "storage_full" ? 507 : status_for(status);
    return problem(code, type, status_code_name(status.code()), status.message());
}

HttpResponse disclosure_not_recorded(const Status& why) {
    return problem(503, "disclosure_not_recorded",
                   "the disclosure could not be recorded, so nothing is shown", why.message());
}

}  // namespace kakitome::api
