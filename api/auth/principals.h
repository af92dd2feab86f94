// Principals and their bearer tokens (docs/design.md §5). A token is 256 random bits shown
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
};

class PrincipalRegistry : public workflow::StaffDirectory {
  public:
    explicit PrincipalRegistry(EventStore& store);

    Status load();
    bool empty() const;
    // invalid_argument for a name check_principal_name refuses (reason invalid_principal_name),
    // a bad display name (invalid_display_name), or a duplicate (duplicate_principal).
    Result<CreatedToken> create(const std::string& name, Role role, bool pii_access,
                                const std::string& created_by,
                                const std::string& display_name = {});
    // nullopt for an unknown token.
    std::optional<Principal> authenticate(const std::string& token);
    // An operator or supervisor with a live token.
    bool is_active_staff(const std::string& name) override;

  private:
    Status reload_if_changed();
    EventStore& store_;
    mutable std::shared_mutex mutex_;
    std::map<std::string, Principal> by_token_sha256_;
    std::uint64_t loaded_version_ = 0;
};

}  // namespace kakitome::auth
