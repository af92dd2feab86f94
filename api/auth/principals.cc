#include "api/auth/principals.h"

#include <mutex>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/domain/access_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/domain/upcasting.h"
#include "events/base/aead.h"
#include "events/base/json_text.h"
#include "events/base/sha256.h"

namespace kakitome::auth {

using nlohmann::json;

namespace {

// A principal's name is an identifier in the log and in URLs; a person's name goes in
// display_name.
constexpr std::size_t kMaxPrincipalNameLength = 64;
constexpr std::size_t kMaxDisplayNameCharacters = 100;
// Tokens kakitome makes are "kkt_" + 43 characters; anything much longer is not one of them and
// is refused before it is hashed.
constexpr std::size_t kMaxTokenLength = 128;

}  // namespace

const char* role_name(Role role) {
    switch (role) {
        case Role::operator_role:
            return "operator";
        case Role::supervisor:
            return "supervisor";
        case Role::auditor:
            return "auditor";
        case Role::responder:
            return "responder";
        case Role::admin:
            return "admin";
    }
    return "unknown";
}

std::optional<Role> role_named(const std::string& name) {
    for (Role role :
         {Role::operator_role, Role::supervisor, Role::auditor, Role::responder, Role::admin}) {
        if (name == role_name(role)) return role;
    }
    return std::nullopt;
}

Status check_principal_name(const std::string& name) {
    static const std::set<std::string> kReserved = {"system",   "cli",      "anonymous", "engine",
                                                    "worker",   "intake",   "timer",     "outbox",
                                                    "kakitome", "applicant"};
    auto refuse = [&](const std::string& why) {
        return Status::invalid_argument("principal name " + why + ": use 1 to " +
                                        std::to_string(kMaxPrincipalNameLength) +
                                        " characters of a-z 0-9 . _ - starting with a letter or "
                                        "digit (put a person's name in display_name)")
            .with_reason("invalid_principal_name");
    };
    if (name.empty() || name.size() > kMaxPrincipalNameLength)
        return refuse("of " + std::to_string(name.size()) + " bytes");
    for (char c : name) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return refuse("with a character outside a-z 0-9 . _ -");
    }
    if (name.front() == '.' || name.front() == '_' || name.front() == '-')
        return refuse("starting with punctuation");
    if (kReserved.count(name))
        return Status::invalid_argument("principal name '" + name +
                                        "' is reserved for kakitome's own actors")
            .with_reason("invalid_principal_name");
    return Status::ok();
}

Status check_display_name(const std::string& display_name) {
    auto refuse = [](const std::string& why) {
        return Status::invalid_argument("display_name " + why).with_reason("invalid_display_name");
    };
    if (!is_valid_utf8(display_name)) return refuse("is not valid UTF-8");
    std::size_t characters = 0;
    for (unsigned char c : display_name) {
        if (c < 0x20 || c == 0x7f) return refuse("contains a control character");
        if ((c & 0xc0) != 0x80) ++characters;
    }
    if (characters == 0 || characters > kMaxDisplayNameCharacters)
        return refuse("must be 1 to " + std::to_string(kMaxDisplayNameCharacters) + " characters");
    return Status::ok();
}

PrincipalRegistry::PrincipalRegistry(EventStore& store) : store_(store) {}

Status PrincipalRegistry::load() {
    using namespace domain;
    auto events = read_current_stream(store_, kPrincipalsStream);
    if (!events.is_ok()) return events.status();
    std::map<std::string, Principal> tokens;
    for (const auto& event : events.value()) {
        KAKITOME_RETURN_IF_ERROR(when<TokenCreated>(event, [&](const TokenCreated& created) {
            tokens[created.token_sha256] =
                Principal{created.name, role_named(created.role).value_or(Role::operator_role),
                          created.pii_access.value_or(false), created.display_name.value_or("")};
        }));
        KAKITOME_RETURN_IF_ERROR(when<TokenRevoked>(
            event, [&](const TokenRevoked& revoked) { tokens.erase(revoked.token_sha256); }));
    }
    std::unique_lock lock(mutex_);
    by_token_sha256_ = std::move(tokens);
    loaded_version_ = events->empty() ? 0 : events->back().version.value;
    return Status::ok();
}

bool PrincipalRegistry::empty() const {
    std::shared_lock lock(mutex_);
    return by_token_sha256_.empty();
}

Status PrincipalRegistry::reload_if_changed() {
    auto version = store_.stream_version(domain::kPrincipalsStream);
    if (!version.is_ok()) return version.status();
    {
        std::shared_lock lock(mutex_);
        if (version->value == loaded_version_) return Status::ok();
    }
    return load();
}

Result<CreatedToken> PrincipalRegistry::create(const std::string& name, Role role, bool pii_access,
                                               const std::string& created_by,
                                               const std::string& display_name) {
    KAKITOME_RETURN_IF_ERROR(check_principal_name(name));
    if (!display_name.empty()) KAKITOME_RETURN_IF_ERROR(check_display_name(display_name));
    KAKITOME_RETURN_IF_ERROR(reload_if_changed());
    StreamVersion expected{0};
    {
        std::shared_lock lock(mutex_);
        for (const auto& [hash, principal] : by_token_sha256_) {
            if (principal.name == name)
                return Status::invalid_argument("principal '" + name + "' already exists")
                    .with_reason("duplicate_principal");
        }
        expected = StreamVersion{loaded_version_};
    }
    const std::string token = "kkt_" + random_base64url(32);  // 256 bits
    const std::string hash = to_hex(sha256(token));
    domain::TokenCreated created{hash, name, std::string(role_name(role)), pii_access,
                                 std::nullopt};
    if (!display_name.empty()) created.display_name = display_name;
    auto appended = store_.append(
        domain::kPrincipalsStream,
        expected.value ? ExpectedVersion::exact(expected) : ExpectedVersion::no_stream(),
        {domain::new_event(created, {.actor = created_by})});
    if (!appended.is_ok()) return appended.status();
    KAKITOME_RETURN_IF_ERROR(load());
    return CreatedToken{token, Principal{name, role, pii_access, display_name}};
}

bool PrincipalRegistry::is_active_staff(const std::string& name) {
    if (!reload_if_changed().is_ok()) return false;
    std::shared_lock lock(mutex_);
    for (const auto& [hash, principal] : by_token_sha256_) {
        if (principal.name == name &&
            (principal.role == Role::operator_role || principal.role == Role::supervisor))
            return true;
    }
    return false;
}

std::optional<Principal> PrincipalRegistry::authenticate(const std::string& token) {
    if (token.empty() || token.size() > kMaxTokenLength) return std::nullopt;
    const std::string hash = to_hex(sha256(token));
    for (int attempt = 0; attempt < 2; ++attempt) {
        {
            std::shared_lock lock(mutex_);
            auto found = by_token_sha256_.find(hash);
            if (found != by_token_sha256_.end()) return found->second;
        }
        if (attempt == 0 && !reload_if_changed().is_ok()) return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace kakitome::auth
