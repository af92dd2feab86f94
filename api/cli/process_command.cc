// kakitome process [--once] [--interval SECONDS] [--smtp URL] [--data DIR]
//                  [--master-key FILE] [--config FILE] [--now TIME [--simulate]]
// Runs the workflow worker: fires due timers (reminders, SLA, link expiry), delivers queued
// mail over SMTP, and updates the stored projections. Prints one JSON line per pass. --once runs
// a single pass; otherwise a pass every --interval seconds (default 10) until SIGTERM/SIGINT.
// A --now ahead of the wall clock would expire links and fire timers for real, so it is refused
// unless --simulate, which runs one pass on a throw-away copy of the data (no mail is sent) and
// prints what would happen.
#include <csignal>
#include <cstdio>
#include <thread>

#include "api/cli/commands.h"
#include "api/cli/store_access.h"
#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/workflow/workflow_worker.h"
#include "events/base/timestamp.h"

#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

namespace kakitome::cli {

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void request_stop(int) {
    stop_requested = 1;
}

}  // namespace

int run_process(const Words& words) {
    auto arguments = Arguments::parse(words,
                                      {"data", "master-key", "ledger-key", "config",
                                       "reserve-free-bytes", "now", "smtp", "interval"},
                                      {"once", "simulate"});
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
    const bool simulate = arguments->has("simulate");
    std::optional<std::int64_t> now;
    if (auto text = arguments->value("now")) now = parse_rfc3339_ms(*text);
    constexpr std::int64_t kClockTolerance = 60'000;
    if (now && *now > system_clock_ms() + kClockTolerance && !simulate) {
        std::fprintf(stderr,
                     "kakitome process: --now is ahead of the clock; a pass would expire links and "
                     "fire timers for real. Add --simulate to see what would happen on a copy.\n");
        return kExitBadInput;
    }
    if (simulate && !now) {
        std::fprintf(stderr, "kakitome process: --simulate goes with --now TIME\n");
        return kExitBadInput;
    }
    // --simulate: a copy of the data to run the pass on, removed afterwards.
    const std::string data = arguments->value_or("data", kDefaultDataDirectory);
    std::filesystem::path copy;
    struct RemoveCopy {
        std::filesystem::path& path;
        ~RemoveCopy() {
            std::error_code ignored;
            if (!path.empty()) std::filesystem::remove_all(path.parent_path(), ignored);
        }
    } remove_copy{copy};
    if (simulate) {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "kakitome-simulate-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            std::fprintf(stderr, "kakitome process: cannot create a temporary folder\n");
            return kExitStoreError;
        }
        copy = std::filesystem::path(pattern) / "data";
        // The copy runs with the original's keys; a simulation never creates one.
        const std::filesystem::path master_key =
            arguments->value_or("master-key", data + "/master.key");
        const std::filesystem::path ledger_key =
            arguments->value_or("ledger-key", data + "/ledger.key");
        for (const auto& key : {master_key, ledger_key}) {
            if (!std::filesystem::exists(key)) {
                std::fprintf(stderr,
                             "kakitome process: %s does not exist; --simulate never creates keys\n",
                             key.c_str());
                return kExitBadInput;
            }
        }
        auto database = Database::open({.directory = data});
        Status copied = database.is_ok() ? database.value()->copy_to(copy) : database.status();
        if (!copied.is_ok()) {
            if (is_locked_by_another_process(copied))
                std::fprintf(stderr,
                             "kakitome process: %s is in use by a running `kakitome serve`; "
                             "stop it to simulate on a copy\n",
                             data.c_str());
            else
                std::fprintf(stderr, "kakitome process: %s\n", copied.to_string().c_str());
            return kExitStoreError;
        }
    }
    auto services =
        open_services_or_report("process", arguments.value(), [&](ServiceOptions& options) {
            if (auto smtp = arguments->value("smtp")) options.settings.outbox.smtp.url = *smtp;
            if (simulate) {
                // The copy's keys are the original's; nothing leaves the machine.
                if (options.master_key_file.empty())
                    options.master_key_file = std::filesystem::path(data) / "master.key";
                options.data_directory = copy;
                options.settings.outbox.smtp.url = "smtp://127.0.0.1:9";  // discard: never sent
                options.settings.outbox.max_attempts = 1;
            }
        });
    if (!services) return kExitStoreError;
    if (simulate) {
        const Seq before = services->store().head();
        auto pass = services->worker().run_pass();
        if (!pass.is_ok()) {
            std::fprintf(stderr, "kakitome process: %s\n", pass.status().to_string().c_str());
            return kExitStoreError;
        }
        std::map<std::string, int> types;
        const Status counted = for_each_event(services->store(), Seq{before.value + 1},
                                              [&](const RecordedEvent& event) {
                                                  // Nothing is sent here.
                                                  if (!domain::is<domain::MailFailed>(event))
                                                      ++types[event.type];
                                              });
        if (!counted.is_ok()) {
            std::fprintf(stderr, "kakitome process: %s\n", counted.to_string().c_str());
            return kExitStoreError;
        }
        nlohmann::json would = nlohmann::json::object();
        for (const auto& [type, count] : types) would[type] = count;
        // The timers that would fail then are as much the answer as those that would fire.
        nlohmann::json would_fail = nlohmann::json::array();
        for (const auto& failure : pass->timers_failed)
            would_fail.push_back(
                {{"application", failure.application}, {"error", failure.status.to_string()}});
        std::printf("%s\n", nlohmann::json{{"simulated", true},
                                           {"now", *arguments->value("now")},
                                           {"would_append", would},
                                           {"timers_failing", would_fail},
                                           {"note", "nothing was written to " + data}}
                                .dump()
                                .c_str());
        return kExitOk;
    }
    auto& worker = services->worker();
    std::signal(SIGTERM, request_stop);
    std::signal(SIGINT, request_stop);
    for (;;) {
        auto pass = worker.run_pass();
        if (!pass.is_ok()) {
            std::fprintf(stderr, "kakitome process: %s\n", pass.status().to_string().c_str());
            return kExitStoreError;
        }
        for (const auto& failure : pass->timers_newly_failed)
            std::fprintf(stderr, "kakitome process: a timer of application %s could not fire: %s\n",
                         failure.application.c_str(), failure.status.to_string().c_str());
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
