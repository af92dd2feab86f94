// Principals and their bearer tokens (docs/design.md §5). A token is 256 random bits shown
// once at creation; the log keeps only its SHA-256, in `TokenCreated {token_sha256, name, role,
// pii_access}` on the `principals` stream, so who could do what is itself auditable history.
// Roles: operator (queue, commands), supervisor (+ override approvals, revoke, erase),
// auditor (events, proofs, replay; PII masked unless the token grants pii_access),
// responder (incident endpoints), admin (tokens).
// Tokens expire (TokenPolicy, 90 days unless configured) and can be revoked (TokenRevoked) or
// rotated (TokenRotated: a new secret, the old one valid for a grace period or not at all);
// authenticate() says which refused a token. When a principal last used a token is kept in
// memory and in `meta` (at most one write a minute per principal), never as an event.
// Thread-safe: lookups take a shared lock; a token not yet known re-reads the stream once
// (tokens created by another process while this one runs).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/workflow/staff_directory.h"
#include "events/event_store.h"

namespace kakitome::auth {

enum class Role { operator_role, supervisor, auditor, responder, admin };

const char* role_name(Role role);
std::optional<Role> role_named(const std::string& name);

struct Principal {
    std::string name;  // 1-64 of [a-z0-9._-], starting with a letter or digit
    Role role = Role::operator_role;
    bool pii_access = false;
    std::string display_name;  // what people read ("佐藤 花子"); UTF-8, may be empty
};

// Principal names appear in stream names, logs and URLs, so they are plain: 1 to 64 characters
// of [a-z0-9._-], starting with a letter or a digit. The engine's own actors ("system", "cli",
// "anonymous", ...) are reserved, so nobody's actions can be logged as the engine's.
Status check_principal_name(const std::string& name);
// A display name: 1-100 characters of valid UTF-8 without control characters.
Status check_display_name(const std::string& display_name);

struct CreatedToken {
    std::string token;  // shown once, never stored
    Principal principal;
    std::int64_t expires_at_ms = 0;
};

struct TokenPolicy {
    std::int64_t expiry_days = 90;  // a new token's life, unless the request says otherwise
    std::function<std::int64_t()> clock_ms;
};

// Why authenticate() refused: a token never issued, past its expiry, or revoked (or replaced
// by a rotation whose grace ended). The API answers 401 with this as the problem type.
enum class TokenRefusal { unknown, expired, revoked };
const char* refusal_name(TokenRefusal refusal);

struct Authentication {
    std::optional<Principal> principal;
    TokenRefusal refusal = TokenRefusal::unknown;  // when principal is empty
};

// One principal as GET /v1/tokens and `token list` show it: never a secret.
struct PrincipalListing {
    Principal principal;
    std::string state;  // active, expired, revoked
    std::int64_t created_at_ms = 0;
    std::int64_t expires_at_ms = 0;
    std::optional<std::int64_t> last_used_at_ms;
};

// As GET /v1/tokens and `token list` print it.
nlohmann::json listing_json(const PrincipalListing& listing);

class PrincipalRegistry : public workflow::StaffDirectory {
  public:
    PrincipalRegistry(EventStore& store, TokenPolicy policy);

    Status load();
    bool empty() const;
    // invalid_argument for a name check_principal_name refuses (reason invalid_principal_name),
    // a bad display name (invalid_display_name), or a duplicate (duplicate_principal).
    Result<CreatedToken> create(const std::string& name, Role role, bool pii_access,
                                const std::string& created_by, const std::string& display_name = {},
                                std::optional<std::int64_t> expires_in_days = std::nullopt);
    // The principal of a live token, or why the token is refused.
    Authentication authenticate(const std::string& token);
    // not_found (reason unknown_principal) when the name has no live token. Revoking stops
    // every live token of the principal at once.
    Status revoke(const std::string& name, const std::string& reason, const std::string& actor);
    // A new secret for the principal's live token; the old one keeps working for
    // `grace_seconds` (0: stops at once). The new token expires like a new one.
    Result<CreatedToken> rotate(const std::string& name, std::int64_t grace_seconds,
                                const std::string& actor);
    std::vector<PrincipalListing> list();
    // An operator or supervisor with a live token.
    Result<bool> is_active_staff(const std::string& name) override;

  private:
    struct TokenRecord {
        Principal principal;
        std::int64_t created_at_ms = 0;
        std::int64_t expires_at_ms = 0;
        std::optional<std::int64_t> stops_at_ms;  // rotated away: from then on
        bool revoked = false;
    };
    Status reload_if_changed();
    bool live(const TokenRecord& record, std::int64_t now) const;
    void note_use(const std::string& name, std::int64_t now);
    Result<StreamVersion> append(std::vector<NewEvent> events, StreamVersion expected);
    EventStore& store_;
    TokenPolicy policy_;
    mutable std::shared_mutex mutex_;
    std::map<std::string, TokenRecord> by_token_sha256_;
    std::uint64_t loaded_version_ = 0;
    std::mutex use_mutex_;
    std::map<std::string, std::int64_t> last_used_;     // in memory, every use
    std::map<std::string, std::int64_t> last_written_;  // when meta was last written
};

}  // namespace kakitome::auth
