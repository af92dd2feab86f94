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
#include "events/base/timestamp.h"
#include "events/meta_store.h"

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
    static const std::set<std::string> kReserved = {
        "system", "cli",    "anonymous", "engine",    "worker",  "intake",
        "timer",  "outbox", "kakitome",  "applicant", "restore", "retention"};
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

json listing_json(const PrincipalListing& listing) {
    return {
        {"name", listing.principal.name},
        {"display_name", listing.principal.display_name},
        {"role", role_name(listing.principal.role)},
        {"pii_access", listing.principal.pii_access},
        {"state", listing.state},
        {"created_at", format_rfc3339_ms(listing.created_at_ms)},
        {"expires_at", format_rfc3339_ms(listing.expires_at_ms)},
        {"last_used_at", listing.last_used_at_ms ? json(format_rfc3339_ms(*listing.last_used_at_ms))
                                                 : json(nullptr)}};
}

const char* refusal_name(TokenRefusal refusal) {
    switch (refusal) {
        case TokenRefusal::expired:
            return "token_expired";
        case TokenRefusal::revoked:
            return "token_revoked";
        case TokenRefusal::unknown:
            return "unauthenticated";
    }
    return "unauthenticated";
}

PrincipalRegistry::PrincipalRegistry(EventStore& store, TokenPolicy policy)
    : store_(store), policy_(std::move(policy)) {
    if (!policy_.clock_ms) policy_.clock_ms = system_clock_ms;
}

namespace {

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
constexpr std::int64_t kLastUsedWriteEveryMs = 60 * 1000;

std::string last_used_key(const std::string& name) {
    return "principals:last-used:" + name;
}

}  // namespace

Status PrincipalRegistry::load() {
    using namespace domain;
    auto events = read_current_stream(store_, kPrincipalsStream);
    if (!events.is_ok()) return events.status();
    std::map<std::string, TokenRecord> tokens;
    for (const auto& event : events.value()) {
        const std::int64_t at = parse_rfc3339_ms(event.at).value_or(0);
        KAKITOME_RETURN_IF_ERROR(when<TokenCreated>(event, [&](const TokenCreated& created) {
            tokens[created.token_sha256] = TokenRecord{
                Principal{created.name, role_named(created.role).value_or(Role::operator_role),
                          created.pii_access.value_or(false), created.display_name.value_or("")},
                at, created.expires_at.value_or(at + policy_.expiry_days * kDayMs), std::nullopt};
        }));
        KAKITOME_RETURN_IF_ERROR(when<TokenRevoked>(event, [&](const TokenRevoked& revoked) {
            // Revoked means stopped, whatever grace a rotation had left it.
            if (auto found = tokens.find(revoked.token_sha256); found != tokens.end())
                found->second.revoked = true;
        }));
        KAKITOME_RETURN_IF_ERROR(when<TokenRotated>(event, [&](const TokenRotated& rotated) {
            auto old = tokens.find(rotated.old_token_sha256);
            if (old == tokens.end()) return;
            TokenRecord renewed = old->second;
            renewed.created_at_ms = at;
            renewed.expires_at_ms = rotated.expires_at;
            renewed.stops_at_ms.reset();
            old->second.stops_at_ms = rotated.old_valid_until;
            tokens[rotated.new_token_sha256] = renewed;
        }));
    }
    std::unique_lock lock(mutex_);
    by_token_sha256_ = std::move(tokens);
    loaded_version_ = events->empty() ? 0 : events->back().version.value;
    return Status::ok();
}

bool PrincipalRegistry::live(const TokenRecord& record, std::int64_t now) const {
    return !record.revoked && now < record.expires_at_ms &&
           (!record.stops_at_ms || now < *record.stops_at_ms);
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

// One append at the version the caller's check saw: two admins changing tokens at once cannot
// both win (the loser gets conflict and tries again with what the winner did).
Result<StreamVersion> PrincipalRegistry::append(std::vector<NewEvent> events,
                                                StreamVersion expected) {
    auto appended = store_.append(
        domain::kPrincipalsStream,
        expected.value ? ExpectedVersion::exact(expected) : ExpectedVersion::no_stream(),
        std::move(events));
    if (!appended.is_ok()) return appended.status();
    KAKITOME_RETURN_IF_ERROR(load());
    return appended->stream_version;
}

Result<CreatedToken> PrincipalRegistry::create(const std::string& name, Role role, bool pii_access,
                                               const std::string& created_by,
                                               const std::string& display_name,
                                               std::optional<std::int64_t> expires_in_days) {
    KAKITOME_RETURN_IF_ERROR(check_principal_name(name));
    if (!display_name.empty()) KAKITOME_RETURN_IF_ERROR(check_display_name(display_name));
    const std::int64_t days = expires_in_days.value_or(policy_.expiry_days);
    if (days < 1 || days > 3660)
        return Status::invalid_argument("a token lives 1 to 3660 days")
            .with_reason("invalid_expiry");
    KAKITOME_RETURN_IF_ERROR(reload_if_changed());
    const std::int64_t now = policy_.clock_ms();
    StreamVersion checked{0};
    {
        std::shared_lock lock(mutex_);
        for (const auto& [hash, record] : by_token_sha256_) {
            if (record.principal.name == name && live(record, now))
                return Status::invalid_argument("principal '" + name + "' already exists")
                    .with_reason("duplicate_principal");
        }
        checked = StreamVersion{loaded_version_};
    }
    const std::string token = "kkt_" + random_base64url(32);  // 256 bits
    const std::string hash = to_hex(sha256(token));
    domain::TokenCreated created{hash,       name,         std::string(role_name(role)),
                                 pii_access, std::nullopt, now + days * kDayMs};
    if (!display_name.empty()) created.display_name = display_name;
    std::vector<NewEvent> events;
    events.push_back(domain::new_event(created, {.actor = created_by}));
    auto appended = append(std::move(events), checked);
    if (!appended.is_ok()) return appended.status();
    return CreatedToken{token, Principal{name, role, pii_access, display_name},
                        *created.expires_at};
}

Status PrincipalRegistry::revoke(const std::string& name, const std::string& reason,
                                 const std::string& actor) {
    KAKITOME_RETURN_IF_ERROR(reload_if_changed());
    const std::int64_t now = policy_.clock_ms();
    std::vector<std::string> live_tokens;
    StreamVersion checked{0};
    {
        std::shared_lock lock(mutex_);
        for (const auto& [hash, record] : by_token_sha256_)
            if (record.principal.name == name && live(record, now)) live_tokens.push_back(hash);
        checked = StreamVersion{loaded_version_};
    }
    if (live_tokens.empty())
        return Status::not_found("principal '" + name + "' has no live token")
            .with_reason("unknown_principal");
    std::vector<NewEvent> events;
    for (const auto& hash : live_tokens) {
        events.push_back(domain::new_event(
            domain::TokenRevoked{
                hash, name, reason.empty() ? std::nullopt : std::optional<std::string>(reason)},
            {.actor = actor}));
    }
    auto appended = append(std::move(events), checked);
    return appended.is_ok() ? Status::ok() : appended.status();
}

Result<CreatedToken> PrincipalRegistry::rotate(const std::string& name, std::int64_t grace_seconds,
                                               const std::string& actor) {
    if (grace_seconds < 0 || grace_seconds > 30 * 24 * 3600)
        return Status::invalid_argument("grace_seconds is 0 to 30 days")
            .with_reason("invalid_grace");
    KAKITOME_RETURN_IF_ERROR(reload_if_changed());
    const std::int64_t now = policy_.clock_ms();
    std::optional<std::pair<std::string, TokenRecord>> current;
    StreamVersion checked{0};
    {
        std::shared_lock lock(mutex_);
        for (const auto& [hash, record] : by_token_sha256_)
            if (record.principal.name == name && live(record, now) &&
                (!current || record.created_at_ms > current->second.created_at_ms))
                current = std::make_pair(hash, record);
        checked = StreamVersion{loaded_version_};
    }
    if (!current)
        return Status::not_found("principal '" + name + "' has no live token")
            .with_reason("unknown_principal");
    const std::string token = "kkt_" + random_base64url(32);
    const std::int64_t expires_at = now + policy_.expiry_days * kDayMs;
    std::vector<NewEvent> events;
    events.push_back(
        domain::new_event(domain::TokenRotated{name, current->first, to_hex(sha256(token)),
                                               now + grace_seconds * 1000, expires_at},
                          {.actor = actor}));
    auto appended = append(std::move(events), checked);
    if (!appended.is_ok()) return appended.status();
    return CreatedToken{token, current->second.principal, expires_at};
}

Result<bool> PrincipalRegistry::is_active_staff(const std::string& name) {
    KAKITOME_RETURN_IF_ERROR(reload_if_changed());  // unreadable is an error, not a "no"
    const std::int64_t now = policy_.clock_ms();
    std::shared_lock lock(mutex_);
    for (const auto& [hash, record] : by_token_sha256_) {
        if (record.principal.name == name && live(record, now) &&
            (record.principal.role == Role::operator_role ||
             record.principal.role == Role::supervisor))
            return true;
    }
    return false;
}

void PrincipalRegistry::note_use(const std::string& name, std::int64_t now) {
    bool write = false;
    {
        const std::lock_guard lock(use_mutex_);
        last_used_[name] = now;
        auto& written = last_written_[name];
        if (now - written >= kLastUsedWriteEveryMs) {
            written = now;
            write = true;
        }
    }
    // Best effort and outside the lock: a failed write loses only a timestamp.
    if (write && !store_.database()->read_only())
        (void)MetaStore(store_.database()).put(last_used_key(name), std::to_string(now));
}

Authentication PrincipalRegistry::authenticate(const std::string& token) {
    if (token.empty() || token.size() > kMaxTokenLength) return {};
    const std::string hash = to_hex(sha256(token));
    const std::int64_t now = policy_.clock_ms();
    for (int attempt = 0; attempt < 2; ++attempt) {
        {
            std::shared_lock lock(mutex_);
            auto found = by_token_sha256_.find(hash);
            if (found != by_token_sha256_.end()) {
                const TokenRecord& record = found->second;
                if (record.revoked || (record.stops_at_ms && now >= *record.stops_at_ms))
                    return {std::nullopt, TokenRefusal::revoked};
                if (now >= record.expires_at_ms) return {std::nullopt, TokenRefusal::expired};
                Principal principal = record.principal;
                lock.unlock();
                note_use(principal.name, now);
                return {std::move(principal), TokenRefusal::unknown};
            }
        }
        if (attempt == 0 && !reload_if_changed().is_ok()) return {};
    }
    return {};
}

std::vector<PrincipalListing> PrincipalRegistry::list() {
    (void)reload_if_changed();
    const std::int64_t now = policy_.clock_ms();
    std::map<std::string, PrincipalListing> by_name;
    {
        std::shared_lock lock(mutex_);
        for (const auto& [hash, record] : by_token_sha256_) {
            const bool stopped =
                record.revoked || (record.stops_at_ms && now >= *record.stops_at_ms);
            const std::string state = live(record, now) ? "active"
                                      : stopped         ? "revoked"
                                                        : "expired";
            auto& listing = by_name[record.principal.name];
            // The newest token speaks for the principal, a live one before any other.
            const bool better =
                listing.principal.name.empty() ||
                (state == "active" && listing.state != "active") ||
                (state == listing.state && record.created_at_ms > listing.created_at_ms);
            if (better)
                listing = {record.principal, state, record.created_at_ms, record.expires_at_ms,
                           std::nullopt};
        }
    }
    std::vector<PrincipalListing> out;
    for (auto& [name, listing] : by_name) {
        {
            const std::lock_guard lock(use_mutex_);
            if (auto used = last_used_.find(name); used != last_used_.end())
                listing.last_used_at_ms = used->second;
        }
        if (!listing.last_used_at_ms) {
            auto stored = MetaStore(store_.database()).get(last_used_key(name));
            if (stored.is_ok() && stored.value())
                listing.last_used_at_ms = std::stoll(*stored.value());
        }
        out.push_back(std::move(listing));
    }
    return out;
}

}  // namespace kakitome::auth
