// kakitome token create --role ROLE --name NAME [--display-name TEXT] [--pii] [--expires-in-days N]
// kakitome token list
// kakitome token revoke NAME [--reason TEXT]
// kakitome token rotate NAME [--grace-seconds N]
// Creates an API principal and prints its bearer token once (only its SHA-256 is stored, as a
// TokenCreated event); lists principals with their tokens' lives (never a secret); revokes a
// principal's tokens; or gives it a new secret, the old one working for N seconds more (0: not
// at all). Every change is an event on the `principals` stream. ROLE: operator, supervisor,
// auditor, responder, admin. --pii lets an auditor see PII unmasked (each read recorded).
// Needs the data directory to itself; while `serve` runs, use /v1/tokens as admin.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "api/auth/principals.h"
#include "api/cli/arguments.h"
#include "api/cli/commands.h"
#include "api/cli/store_access.h"
#include "events/base/timestamp.h"

namespace kakitome::cli {

namespace {

int usage() {
    std::fprintf(stderr,
                 "usage: kakitome token create --role "
                 "operator|supervisor|auditor|responder|admin --name NAME [--display-name "
                 "TEXT] [--pii] [--expires-in-days N]\n"
                 "       kakitome token list\n"
                 "       kakitome token revoke NAME [--reason TEXT]\n"
                 "       kakitome token rotate NAME [--grace-seconds N]\n");
    return kExitBadInput;
}

int report(const Status& status) {
    std::fprintf(stderr, "kakitome token: %s\n", status.to_string().c_str());
    return status.code() == StatusCode::invalid_argument || status.code() == StatusCode::not_found
               ? kExitBadInput
               : kExitStoreError;
}

}  // namespace

int run_token(const Words& words) {
    auto arguments = Arguments::parse(
        words,
        {"data", "master-key", "ledger-key", "config", "reserve-free-bytes", "now", "role", "name",
         "display-name", "expires-in-days", "reason", "grace-seconds"},
        {"pii"});
    if (!arguments.is_ok() || arguments->positionals().empty()) return usage();
    const Words& positionals = arguments->positionals();
    const std::string action = positionals[0];
    std::optional<auth::Role> role;
    std::optional<std::int64_t> days;
    std::int64_t grace = 0;
    try {
        if (auto given = arguments->value("expires-in-days")) days = std::stoll(*given);
        grace = std::stoll(arguments->value_or("grace-seconds", "0"));
    } catch (const std::exception&) {
        return usage();
    }
    if (action == "create") {
        if (positionals.size() != 1 || !arguments->has("role") || !arguments->has("name"))
            return usage();
        role = auth::role_named(*arguments->value("role"));
        if (!role) return usage();
    } else if (action == "list") {
        if (positionals.size() != 1) return usage();
    } else if (action == "revoke" || action == "rotate") {
        if (positionals.size() != 2) return usage();
    } else {
        return usage();
    }
    auto services = open_services_or_report("token", arguments.value());
    if (!services) return kExitStoreError;
    auto& principals = services->principals();
    if (action == "list") {
        for (const auto& listing : principals.list())
            std::printf("%s\n", auth::listing_json(listing).dump().c_str());
        return kExitOk;
    }
    if (action == "revoke") {
        const Status revoked =
            principals.revoke(positionals[1], arguments->value_or("reason", ""), "cli");
        if (!revoked.is_ok()) return report(revoked);
        std::printf("%s\n",
                    nlohmann::json{{"name", positionals[1]}, {"state", "revoked"}}.dump().c_str());
        return kExitOk;
    }
    auto created = action == "rotate"
                       ? principals.rotate(positionals[1], grace, "cli")
                       : principals.create(*arguments->value("name"), *role, arguments->has("pii"),
                                           "cli", arguments->value_or("display-name", ""), days);
    if (!created.is_ok()) return report(created.status());
    std::printf("%s\n", nlohmann::json{{"token", created->token},
                                       {"name", created->principal.name},
                                       {"role", auth::role_name(created->principal.role)},
                                       {"pii_access", created->principal.pii_access},
                                       {"expires_at", format_rfc3339_ms(created->expires_at_ms)}}
                            .dump()
                            .c_str());
    return kExitOk;
}

}  // namespace kakitome::cli
