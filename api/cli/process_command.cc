// kakitome process [--once] [--interval SECONDS] [--smtp URL] [--now TIME] [--data DIR]
//                  [--master-key FILE] [--config FILE]
// Runs the workflow worker: fires due timers (reminders, SLA, link expiry), delivers queued
// mail over SMTP, and updates the stored projections. Prints one JSON line per pass. --once runs
// a single pass; otherwise a pass every --interval seconds (default 10) until SIGTERM/SIGINT.
#include <csignal>
#include <cstdio>
#include <thread>

#include "api/cli/commands.h"
#include "api/cli/store_access.h"
#include "api/workflow_worker.h"

namespace kakitome::cli {

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void request_stop(int) {
    stop_requested = 1;
}

}  // namespace

int run_process(const Words& words) {
    auto arguments = Arguments::parse(
        words, {"data", "master-key", "ledger-key", "config", "now", "smtp", "interval"}, {"once"});
    int interval = 10;
    bool valid = arguments.is_ok() && arguments->positionals().empty();
    if (valid) {
        try {
            interval = std::stoi(arguments->value_or("interval", "10"));
        } catch (const std::exception&) {
            valid = false;
        }
    }
    if (!valid || interval < 1) {
        std::fprintf(stderr,
                     "usage: kakitome process [--once] [--interval SECONDS] [--smtp URL] [--now "
                     "TIME] [--config FILE]\n");
        return kExitBadInput;
    }
    auto services =
        open_services_or_report("process", arguments.value(), [&](ServiceOptions& options) {
            if (auto smtp = arguments->value("smtp")) options.settings.outbox.smtp.url = *smtp;
        });
    if (!services) return kExitStoreError;
    auto& worker = services->worker();
    std::signal(SIGTERM, request_stop);
    std::signal(SIGINT, request_stop);
    for (;;) {
        auto pass = worker.run_pass();
        if (!pass.is_ok()) {
            std::fprintf(stderr, "kakitome process: %s\n", pass.status().to_string().c_str());
            return kExitStoreError;
        }
        std::printf("%s\n", pass->to_json().c_str());
        std::fflush(stdout);
        if (arguments->has("once")) return kExitOk;
        for (int waited = 0; waited < interval * 10 && !stop_requested; ++waited) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        if (stop_requested) return kExitOk;
    }
}

}  // namespace kakitome::cli
