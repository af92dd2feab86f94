// kakitome command APP_ID NAME [--args JSON] [--actor ID] [--if-match VERSION] [--data DIR]
//                  [--master-key FILE] [--config FILE]
// Runs one workflow command (assign, approve, reject, request_correction, withdraw,
// reissue_url, revoke_url, erase) and prints the outcome as JSON. Exit 0 done, 5 refused (the
// state does not allow it, or the version is not --if-match), 2 bad arguments, 4 store error.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "api/cli/commands.h"
#include "api/cli/store_access.h"
#include "engine/workflow/workflow_commands.h"

namespace kakitome::cli {

int run_command(const Words& words) {
    auto arguments = Arguments::parse(words,
                                      {"data", "master-key", "ledger-key", "config",
                                       "reserve-free-bytes", "now", "args", "actor", "if-match"},
                                      {});
    if (!arguments.is_ok() || arguments->positionals().size() != 2) {
        std::fprintf(
            stderr,
            "usage: kakitome command APP_ID NAME [--args JSON] [--actor ID] [--if-match VERSION]\n"
            "       NAME: assign approve reject request_correction withdraw reissue_url revoke_url "
            "erase\n");
        return kExitBadInput;
    }
    auto services = open_services_or_report("command", arguments.value());
    if (!services) return kExitStoreError;
    auto& commands = services->commands();
    workflow::CommandRequest request;
    request.application = arguments->positionals()[0];
    request.command = arguments->positionals()[1];
    request.actor = arguments->value_or("actor", "cli");
    request.arguments_json = arguments->value_or("args", "{}");
    if (auto if_match = arguments->value("if-match")) {
        try {
            request.expected_version = StreamVersion{std::stoull(*if_match)};
        } catch (const std::exception&) {
            std::fprintf(stderr, "kakitome command: --if-match wants a stream version number\n");
            return kExitBadInput;
        }
    }
    auto outcome = commands.execute(request);
    if (!outcome.is_ok()) {
        std::fprintf(stderr, "kakitome command: %s\n", outcome.status().to_string().c_str());
        return exit_code_for(outcome.status());
    }
    std::printf("%s\n", nlohmann::json{{"application", outcome->application},
                                       {"state", outcome->state},
                                       {"version", outcome->version.value},
                                       {"events", outcome->events}}
                            .dump()
                            .c_str());
    return kExitOk;
}

}  // namespace kakitome::cli
