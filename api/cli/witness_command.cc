// kakitome witness serve --key FILE --name NAME --state DIR --log VERIFIER_KEY... [--listen A:P]
// kakitome witness pubkey --key FILE --name NAME
//
// An independent witness (C2SP tlog-witness, api/witness/witness.h) for one or more logs, each
// given by its note verifier key (the log's origin is the key's name): POST /add-checkpoint
// answers with a cosignature/v1 line, or refuses a checkpoint that is not consistent with the
// last one it cosigned. Its key is its own (created 0600 on first use); its state, the last
// cosigned checkpoint of each log, is a small directory of its own that survives restarts.
// Run it on another machine, by another party, than the log. `pubkey` prints the verifier key
// to put in the log's configuration ("witnesses") and to give auditors (verify --witness).
#include <pthread.h>

#include <csignal>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "api/cli/arguments.h"
#include "api/cli/commands.h"
#include "api/cli/file_io.h"
#include "api/cli/serving.h"
#include "api/http/http_server.h"
#include "api/witness/witness.h"
#include "events/base/timestamp.h"
#include "events/note_signer.h"

namespace kakitome::cli {

namespace {

int usage() {
    std::fprintf(stderr,
                 "usage: kakitome witness serve --key FILE --name NAME --state DIR --log "
                 "VERIFIER_KEY|FILE... [--listen ADDRESS:PORT]\n"
                 "       kakitome witness pubkey --key FILE --name NAME\n");
    return kExitBadInput;
}

}  // namespace

int run_witness(const Words& words) {
    auto arguments = Arguments::parse(words, {"key", "name", "state", "log", "listen"}, {});
    if (!arguments.is_ok() || arguments->positionals().size() != 1 || !arguments->has("key") ||
        !arguments->has("name"))
        return usage();
    const std::string action = arguments->positionals()[0];
    auto cosigner = Cosigner::load_or_create(*arguments->value("key"), *arguments->value("name"));
    if (!cosigner.is_ok()) {
        std::fprintf(stderr, "kakitome witness: %s\n", cosigner.status().to_string().c_str());
        return kExitBadInput;
    }
    if (action == "pubkey") {
        std::printf("%s\n", cosigner->verifier_key().c_str());
        return kExitOk;
    }
    if (action != "serve" || !arguments->has("state") || !arguments->has("log")) return usage();
    std::vector<witness::WitnessedLog> logs;
    for (const auto& given : arguments->values("log")) {
        const std::string key = read_verifier_key(given);
        logs.push_back({key.substr(0, key.find('+')), key});
    }
    http::HttpServerOptions options;
    if (!parse_listen(arguments->value_or("listen", "127.0.0.1:8090"), options)) return usage();
    auto witness = witness::Witness::open(
        *arguments->value("state"), std::move(cosigner).value(), std::move(logs),
        [] { return static_cast<std::uint64_t>(system_clock_ms() / 1000); });
    if (!witness.is_ok()) {
        std::fprintf(stderr, "kakitome witness: %s\n", witness.status().to_string().c_str());
        return kExitBadInput;
    }
    sigset_t signals = block_stop_signals();
    options.threads = 2;
    auto& served = *witness.value();
    auto server = http::HttpServer::start(options, [&served](const http::HttpRequest& request) {
        if (request.method == "POST" && request.target == "/add-checkpoint")
            return served.add_checkpoint(request.body);
        http::HttpResponse missing;
        missing.status = 404;
        missing.body = "a witness answers POST /add-checkpoint only\n";
        return missing;
    });
    if (!server.is_ok()) {
        std::fprintf(stderr, "kakitome witness: %s\n", server.status().to_string().c_str());
        return kExitStoreError;
    }
    std::printf("%s\n", nlohmann::json{{"listening", options.address + ":" +
                                                         std::to_string(server.value()->port())},
                                       {"witness", served.cosigner().verifier_key()}}
                            .dump()
                            .c_str());
    std::fflush(stdout);
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    server.value()->stop(std::chrono::seconds(5));
    return kExitOk;
}

}  // namespace kakitome::cli
