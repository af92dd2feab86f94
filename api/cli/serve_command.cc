// kakitome serve [--data DIR] [--master-key FILE] --imap URL [--poll-seconds N] [--once]
//                [--imap-insecure] [--max-mail-bytes N]
// For now serve runs the IMAP poller only (the REST API arrives with its own issue): it polls
// the mailbox every N seconds (default 60) and prints one JSON line per ingested mail. --once
// polls a single time and exits. SIGTERM/SIGINT stop it between mails; nothing is lost because
// the position is written after each mail.
#include <csignal>
#include <cstdio>
#include <thread>

#include <nlohmann/json.hpp>

#include "api/cli/arguments.h"
#include "api/cli/commands.h"
#include "api/cli/store_access.h"
#include "engine/intake/imap_poller.h"

namespace kakitome::cli {

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void request_stop(int) {
    stop_requested = 1;
}

}  // namespace

int run_serve(const Words& words) {
    auto arguments =
        Arguments::parse(words, {"data", "master-key", "imap", "poll-seconds", "max-mail-bytes"},
                         {"once", "imap-insecure"});
    intake::MailLimits limits;
    int poll_seconds = 60;
    bool valid = arguments.is_ok() && arguments->positionals().empty() && arguments->has("imap");
    if (valid) {
        try {
            poll_seconds = std::stoi(arguments->value_or("poll-seconds", "60"));
            if (arguments->has("max-mail-bytes"))
                limits.max_bytes = std::stoull(*arguments->value("max-mail-bytes"));
        } catch (const std::exception&) {
            valid = false;
        }
    }
    if (!valid || poll_seconds < 1) {
        std::fprintf(stderr,
                     "usage: kakitome serve [--data DIR] [--master-key FILE] --imap "
                     "imap[s]://USER:PASSWORD@HOST[:PORT]/MAILBOX\n"
                     "                      [--poll-seconds N] [--once] [--imap-insecure] "
                     "[--max-mail-bytes N]\n"
                     "(the REST API is not part of serve yet)\n");
        return kExitBadInput;
    }
    auto environment =
        open_environment_or_report("serve", arguments->value_or("data", kDefaultDataDirectory),
                                   arguments->value_or("master-key", ""));
    if (!environment) return kExitStoreError;
    intake::IntakeService intake(*environment->store, *environment->blobs, *environment->vault,
                                 environment->master_key, limits);
    MetaStore meta(environment->database);
    intake::ImapPoller poller(
        intake, meta,
        {.url = *arguments->value("imap"), .verify_tls = !arguments->has("imap-insecure")});

    std::signal(SIGTERM, request_stop);
    std::signal(SIGINT, request_stop);
    const bool once = arguments->has("once");
    while (!stop_requested) {
        auto polled = poller.poll_once([](std::uint64_t uid, const intake::IngestOutcome& outcome) {
            auto line = nlohmann::json::parse(outcome.to_json());
            line["uid"] = uid;
            std::printf(
                "%s\n",
                line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
            std::fflush(stdout);
        });
        if (!polled.is_ok()) {
            std::fprintf(stderr, "kakitome serve: %s\n", polled.status().to_string().c_str());
            if (once || polled.status().code() != StatusCode::unavailable) return kExitStoreError;
        }
        if (once) break;
        for (int waited = 0; waited < poll_seconds * 10 && !stop_requested; ++waited) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    return kExitOk;
}

}  // namespace kakitome::cli
