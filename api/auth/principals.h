// Principals and their bearer tokens (design section 5). A token is 256 random bits shown
// once at creation; the log keeps only its SHA-256, in `TokenCreated {token_sha256, name, role,
// pii_access}` on the `principals` stream, so who could do what is itself auditable history.
// Roles: operator (queue, commands), supervisor (+ override approvals, revoke, erase),
// auditor (events, proofs, replay; PII masked unless the token grants pii_access),
// responder (incident endpoints), admin (tokens).
// Thread-safe: lookups take a shared lock; a token not yet known re-reads the stream once
// (tokens created by another process while this one runs).
#pragma once

#include <map>
#include <optional>
#include <shared_mutex>
#include <string>

#include "events/event_store.h"

namespace kakitome::auth {

enum class Role { operator_role, supervisor, auditor, responder, admin };

const char* role_name(Role role);
std::optional<Role> role_named(const std::string& name);

struct Principal {
    std::string name;
    Role role = Role::operator_role;
    bool pii_access = false;
};

struct CreatedToken {
    std::string token;  // shown once, never stored
    Principal principal;
};

class PrincipalRegistry {
  public:
    explicit PrincipalRegistry(EventStore& store);

    Status load();
    bool empty() const;
    // invalid_argument for an empty or duplicate name.
    Result<CreatedToken> create(const std::string& name, Role role, bool pii_access,
                                const std::string& created_by);
    // nullopt for an unknown token.
    std::optional<Principal> authenticate(const std::string& token);

  private:
    Status reload_if_changed();
    EventStore& store_;
    mutable std::shared_mutex mutex_;
    std::map<std::string, Principal> by_token_sha256_;
    std::uint64_t loaded_version_ = 0;
};

inline constexpr const char* kPrincipalsStream = "principals";

}  // namespace kakitome::auth
