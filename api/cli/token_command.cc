// kakitome token create --role ROLE --name NAME [--pii] [--data DIR]
// Creates an API principal and prints its bearer token once (only its SHA-256 is stored, as a
// TokenCreated event). ROLE: operator, supervisor, auditor, responder, admin. --pii lets an
// auditor see PII unmasked (every such read is recorded as a disclosure).
// Needs the data directory to itself; while `serve` runs, use POST /v1/tokens as admin.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "api/auth/principals.h"
#include "api/cli/arguments.h"
#include "api/cli/commands.h"
#include "api/cli/store_access.h"

namespace kakitome::cli {

int run_token(const Words& words) {
    auto arguments = Arguments::parse(words,
                                      {"data", "master-key", "ledger-key", "config",
                                       "reserve-free-bytes", "role", "name", "display-name"},
                                      {"pii"});
    const bool valid = arguments.is_ok() && arguments->positionals() == Words{"create"} &&
                       arguments->has("role") && arguments->has("name");
    const auto role = valid ? auth::role_named(*arguments->value("role")) : std::nullopt;
    if (!valid || !role) {
        std::fprintf(stderr,
                     "usage: kakitome token create --role "
                     "operator|supervisor|auditor|responder|admin --name NAME [--display-name "
                     "TEXT] [--pii]\n");
        return kExitBadInput;
    }
    auto services = open_services_or_report("token", arguments.value());
    if (!services) return kExitStoreError;
    auto& principals = services->principals();
    auto created = principals.create(*arguments->value("name"), *role, arguments->has("pii"), "cli",
                                     arguments->value_or("display-name", ""));
    if (!created.is_ok()) {
        std::fprintf(stderr, "kakitome token: %s\n", created.status().to_string().c_str());
        return created.status().code() == StatusCode::invalid_argument ? kExitBadInput
                                                                       : kExitStoreError;
    }
    std::printf("%s\n", nlohmann::json{{"token", created->token},
                                       {"name", created->principal.name},
                                       {"role", auth::role_name(*role)},
                                       {"pii_access", created->principal.pii_access}}
                            .dump()
                            .c_str());
    return kExitOk;
}

}  // namespace kakitome::cli
