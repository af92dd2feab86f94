#include "engine/domain/streams.h"

namespace kakitome::domain {

namespace {

std::string prefixed(std::string_view prefix, std::string_view rest) {
    std::string name(prefix);
    name += rest;
    return name;
}

}  // namespace

std::string application_stream(std::string_view application) {
    return prefixed(kApplicationStreamPrefix, application);
}

bool is_application_stream(std::string_view stream) {
    return stream.size() > kApplicationStreamPrefix.size() &&
           stream.starts_with(kApplicationStreamPrefix);
}

std::optional<std::string> application_of(std::string_view stream) {
    if (!is_application_stream(stream)) return std::nullopt;
    return std::string(stream.substr(kApplicationStreamPrefix.size()));
}

std::string data_key_of(std::string_view stream) {
    return application_of(stream).value_or(std::string(stream));
}

std::string sender_stream(std::string_view sender_key) {
    return prefixed("sender-", sender_key);
}
std::string message_stream(std::string_view message_key_hex) {
    return prefixed(kMessageStreamPrefix, message_key_hex);
}
std::string duplicate_stream(std::string_view duplicate_key_hex) {
    return prefixed("duplicate-", duplicate_key_hex);
}
std::string token_stream(std::string_view token_sha256) {
    return prefixed("token-", token_sha256);
}
std::string disclosure_stream(std::string_view principal) {
    return prefixed("disclosure-", principal);
}
std::string incident_stream(std::string_view incident) {
    return prefixed(kIncidentStreamPrefix, incident);
}
std::optional<std::string> incident_of(std::string_view stream) {
    if (stream.size() <= kIncidentStreamPrefix.size() || !stream.starts_with(kIncidentStreamPrefix))
        return std::nullopt;
    return std::string(stream.substr(kIncidentStreamPrefix.size()));
}
std::string evidence_stream(std::string_view incident) {
    return prefixed("evidence-", incident);
}
std::string idempotency_stream(std::string_view key_hex) {
    return prefixed("idempotency-", key_hex);
}

}  // namespace kakitome::domain
