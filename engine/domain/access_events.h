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
    static constexpr auto fields() {
        using E = TokenCreated;
        return std::tuple{field("token_sha256", &E::token_sha256), field("name", &E::name),
                          field("role", &E::role), field("pii_access", &E::pii_access),
                          field("display_name", &E::display_name)};
    }
};

struct TokenRevoked {
    static constexpr std::string_view kType = "TokenRevoked";
    static constexpr int kSchema = 1;
    std::string token_sha256;
    static constexpr auto fields() {
        return std::tuple{field("token_sha256", &TokenRevoked::token_sha256)};
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
