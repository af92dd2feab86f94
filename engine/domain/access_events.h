// The events of who may do what and who saw what: API principals (the `principals` stream),
// each disclosure of personal data (disclosure-<principal>), a download token's owner
// (token-<sha256>) and a command's recorded outcome under an Idempotency-Key (idempotency-...).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "engine/domain/payload_codec.h"

namespace kakitome::domain {

struct TokenCreated {
    static constexpr std::string_view kType = "TokenCreated";
    static constexpr int kSchema = 1;
    std::string token_sha256;
    std::string name;
    std::string role;
    std::optional<bool> pii_access;
    std::optional<std::string> display_name;
    // Milliseconds since the epoch; absent in tokens made before tokens expired (they expire
    // the configured number of days after the event).
    std::optional<std::int64_t> expires_at;
    static constexpr auto fields() {
        using E = TokenCreated;
        return std::tuple{field("token_sha256", &E::token_sha256),
                          field("name", &E::name),
                          field("role", &E::role),
                          field("pii_access", &E::pii_access),
                          field("display_name", &E::display_name),
                          field("expires_at", &E::expires_at)};
    }
};

struct TokenRevoked {
    static constexpr std::string_view kType = "TokenRevoked";
    static constexpr int kSchema = 1;
    std::string token_sha256;
    std::optional<std::string> name;
    std::optional<std::string> reason;
    static constexpr auto fields() {
        using E = TokenRevoked;
        return std::tuple{field("token_sha256", &E::token_sha256), field("name", &E::name),
                          field("reason", &E::reason)};
    }
};

// A new secret for the same principal; the old one works until old_valid_until (ms since the
// epoch; the rotation's time when it stops at once).
struct TokenRotated {
    static constexpr std::string_view kType = "TokenRotated";
    static constexpr int kSchema = 1;
    std::string name;
    std::string old_token_sha256;
    std::string new_token_sha256;
    std::int64_t old_valid_until = 0;
    std::int64_t expires_at = 0;
    static constexpr auto fields() {
        using E = TokenRotated;
        return std::tuple{field("name", &E::name), field("old_token_sha256", &E::old_token_sha256),
                          field("new_token_sha256", &E::new_token_sha256),
                          field("old_valid_until", &E::old_valid_until),
                          field("expires_at", &E::expires_at)};
    }
};

// Personal data of these applications was shown to a principal, logged before it was sent.
struct PiiDisclosed {
    static constexpr std::string_view kType = "PiiDisclosed";
    static constexpr int kSchema = 1;
    std::string principal;
    std::string role;
    std::string request_id;
    std::string endpoint;
    std::string target;
    std::string remote;
    std::vector<std::string> applications;
    std::vector<std::string> fields_shown;
    static constexpr auto fields() {
        using E = PiiDisclosed;
        return std::tuple{field("principal", &E::principal),
                          field("role", &E::role),
                          field("request_id", &E::request_id),
                          field("endpoint", &E::endpoint),
                          field("target", &E::target),
                          field("remote", &E::remote),
                          field("applications", &E::applications),
                          field("fields", &E::fields_shown)};
    }
};

struct DownloadTokenIssued {
    static constexpr std::string_view kType = "DownloadTokenIssued";
    static constexpr int kSchema = 1;
    std::string application;
    static constexpr auto fields() {
        return std::tuple{field("application", &DownloadTokenIssued::application)};
    }
};

// The outcome a repeated request under the same Idempotency-Key is answered with. `request` is
// the request's fingerprint; outcomes recorded before fingerprints existed have none.
struct CommandAccepted {
    static constexpr std::string_view kType = "CommandAccepted";
    static constexpr int kSchema = 1;
    std::string application;
    std::string command;
    std::optional<std::string> request;
    std::string state;
    std::uint64_t version = 0;
    std::vector<std::string> events;
    static constexpr auto fields() {
        using E = CommandAccepted;
        return std::tuple{field("application", &E::application), field("command", &E::command),
                          field("request", &E::request),         field("state", &E::state),
                          field("version", &E::version),         field("events", &E::events)};
    }
};

}  // namespace kakitome::domain
