// kakitome download TOKEN [--remote ADDR] [--now TIME] [--data DIR] [--config FILE]
// What `GET /d/<token>` does, from the command line (for the demo and for support staff): prints
// {"status", "location", "body"} as JSON. Exit 0 for 302, 5 for 410 (revoked/expired),
// 2 for 404 (unknown token), 4 store error.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "api/cli/commands.h"
#include "api/cli/store_access.h"
#include "engine/download/download_service.h"

namespace kakitome::cli {

int run_download(const Words& words) {
    auto arguments = Arguments::parse(
        words,
        {"data", "master-key", "ledger-key", "config", "reserve-free-bytes", "now", "remote"}, {});
    if (!arguments.is_ok() || arguments->positionals().size() != 1) {
        std::fprintf(stderr, "usage: kakitome download TOKEN [--remote ADDR] [--now TIME]\n");
        return kExitBadInput;
    }
    auto services = open_services_or_report("download", arguments.value());
    if (!services) return kExitStoreError;
    download::DownloadService service(services->store(), services->workflow_config(),
                                      services->clock());
    auto response = service.handle({arguments->positionals()[0], "cli",
                                    arguments->value_or("remote", "127.0.0.1"), "kakitome-cli"});
    if (!response.is_ok()) {
        std::fprintf(stderr, "kakitome download: %s\n", response.status().to_string().c_str());
        return kExitStoreError;
    }
    std::printf("%s\n", nlohmann::json{{"status", response->status},
                                       {"location", response->location},
                                       {"body", response->body},
                                       {"application", response->application}}
                            .dump()
                            .c_str());
    if (response->status == 302) return kExitOk;
    return response->status == 410 ? kExitRefused : kExitBadInput;
}

}  // namespace kakitome::cli
