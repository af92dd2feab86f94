// kakitome serve [--data DIR] [--listen 127.0.0.1:8080] [--config FILE] [--threads N]
//                [--tls-cert PEM --tls-key PEM] [--master-key FILE] [--request-timeout S]
//                [--imap URL [--poll-seconds N] [--imap-insecure]] [--max-mail-bytes N]
//                [--demo]   (allow the built-in demo storage placeholder)
// kakitome serve --imap URL --once ...   (one IMAP poll, no HTTP server)
//
// Runs the REST API (docs/api.md, docs/openapi.yaml), the workflow worker (timers, outbox,
// projections) and, with --imap, the IMAP poller, until SIGTERM/SIGINT: then it stops accepting,
// answers the requests in flight, finishes the worker's pass, and exits 0. On the first start of
// a data directory it creates an admin token and prints it once on stdout.
#include <pthread.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include <nlohmann/json.hpp>

#include "api/answers.h"
#include "api/api_service.h"
#include "api/auth/principals.h"
#include "api/cli/commands.h"
#include "api/cli/serving.h"
#include "api/cli/store_access.h"
#include "api/http/http_server.h"
#include "api/routes.h"
#include "engine/intake/imap_poller.h"
#include "engine/workflow/workflow_worker.h"
#include "events/meta_store.h"

namespace kakitome::cli {

namespace {

void print_json_line(const nlohmann::json& line) {
    std::printf("%s\n",
                line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    std::fflush(stdout);
}

}  // namespace

int run_serve(const Words& words) {
    auto arguments = Arguments::parse(words,
                                      {"data",
                                       "master-key",
                                       "ledger-key",
                                       "imap",
                                       "poll-seconds",
                                       "max-mail-bytes",
                                       "listen",
                                       "config",
                                       "threads",
                                       "tls-cert",
                                       "tls-key",
                                       "now",
                                       "request-timeout",
                                       "max-connections",
                                       "max-body-bytes-in-flight",
                                       "reserve-free-bytes",
                                       "backup-dir",
                                       "backup-every",
                                       "backup-keep",
                                       "checkpoint-seconds"},
                                      {"once", "imap-insecure", "demo"});
    intake::MailLimits limits;
    http::HttpServerOptions server_options;
    int poll_seconds = 60;
    std::optional<std::int64_t> backup_every_minutes;
    std::optional<std::uint32_t> backup_keep;
    std::int64_t checkpoint_seconds = 60;
    bool valid =
        arguments.is_ok() && arguments->positionals().empty() &&
        parse_listen(arguments.is_ok() ? arguments->value_or("listen", "127.0.0.1:8080") : "",
                     server_options) &&
        (!arguments->has("once") || arguments->has("imap")) &&
        (arguments->has("tls-cert") == arguments->has("tls-key"));
    if (valid) {
        try {
            poll_seconds = std::stoi(arguments->value_or("poll-seconds", "60"));
            server_options.threads = std::stoi(arguments->value_or("threads", "0"));
            server_options.request_deadline =
                std::chrono::seconds(std::stoi(arguments->value_or("request-timeout", "30")));
            server_options.idle_timeout = server_options.request_deadline;
            if (server_options.request_deadline.count() < 1) valid = false;
            server_options.max_connections = std::stoull(arguments->value_or(
                "max-connections", std::to_string(server_options.max_connections)));
            server_options.max_body_bytes_in_flight = std::stoull(
                arguments->value_or("max-body-bytes-in-flight",
                                    std::to_string(server_options.max_body_bytes_in_flight)));
            if (server_options.max_connections < 1) valid = false;
            if (auto every = arguments->value("backup-every")) {
                backup_every_minutes = std::stoll(*every);
                if (*backup_every_minutes < 1) valid = false;
            }
            checkpoint_seconds = std::stoll(arguments->value_or("checkpoint-seconds", "60"));
            if (checkpoint_seconds < 1) valid = false;
            if (auto keep = arguments->value("backup-keep")) {
                backup_keep = static_cast<std::uint32_t>(std::stoul(*keep));
                if (*backup_keep < 1) valid = false;
            }
            if (arguments->has("max-mail-bytes"))
                limits.max_bytes = std::stoull(*arguments->value("max-mail-bytes"));
        } catch (const std::exception&) {
            valid = false;
        }
    }
    if (!valid || poll_seconds < 1) {
        std::fprintf(stderr,
                     "usage: kakitome serve [--data DIR] [--listen ADDRESS:PORT] [--config FILE] "
                     "[--threads N]\n"
                     "                      [--tls-cert PEM --tls-key PEM] [--master-key FILE] "
                     "[--request-timeout S]\n"
                     "                      [--max-connections N] [--max-body-bytes-in-flight "
                     "BYTES] [--reserve-free-bytes BYTES]\n"
                     "                      [--imap imap[s]://USER:PASSWORD@HOST[:PORT]/MAILBOX "
                     "[--poll-seconds N]\n"
                     "                       [--imap-insecure]] [--max-mail-bytes N] [--demo]\n"
                     "                      [--backup-dir DIR [--backup-every MINUTES] "
                     "[--backup-keep N]] [--checkpoint-seconds S]\n"
                     "       kakitome serve --imap URL --once   (one IMAP poll, no HTTP server)\n");
        return kExitBadInput;
    }
    // Signals are taken by the main thread only (sigwait), so block them before any thread starts.
    sigset_t signals = block_stop_signals();

    if (auto settings = workflow::load_settings(arguments->value_or("config", ""));
        settings.is_ok() && workflow::uses_demo_storage(settings.value()) &&
        !arguments->has("demo") && !arguments->has("once")) {
        std::fprintf(stderr,
                     "kakitome serve: the video storage is the built-in demo placeholder "
                     "(127.0.0.1:9000, key AKIDKAKITOMEDEMO); download links would point "
                     "nowhere. Give --config FILE with a \"storage\" part (docs/workflow.md), "
                     "or --demo to run the demo anyway.\n");
        return kExitBadInput;
    }
    auto services =
        open_services_or_report("serve", arguments.value(), [&](ServiceOptions& options) {
            options.mail_limits = limits;
            auto& backup = options.settings.backup;
            if (auto directory = arguments->value("backup-dir")) backup.directory = *directory;
            if (backup_every_minutes) backup.every_minutes = *backup_every_minutes;
            if (backup_keep) backup.keep = *backup_keep;
            options.checkpoint_every_seconds = checkpoint_seconds;
        });
    if (!services) return kExitStoreError;
    EventStore& store = services->store();
    MetaStore meta(services->store().database());
    std::unique_ptr<intake::ImapPoller> poller;
    if (arguments->has("imap")) {
        poller = std::make_unique<intake::ImapPoller>(
            services->intake(), meta,
            intake::ImapOptions{.url = *arguments->value("imap"),
                                .verify_tls = !arguments->has("imap-insecure")});
    }
    auto report_poll = [](std::uint64_t uid, const intake::IngestOutcome& outcome) {
        auto line = nlohmann::json::parse(outcome.to_json());
        line["uid"] = uid;
        print_json_line(line);
    };
    if (arguments->has("once")) {
        auto polled = poller->poll_once(report_poll);
        if (!polled.is_ok()) {
            std::fprintf(stderr, "kakitome serve: %s\n", polled.status().to_string().c_str());
            return kExitStoreError;
        }
        return kExitOk;
    }

    auto& principals = services->principals();
    if (principals.empty()) {
        auto admin = principals.create("admin", auth::Role::admin, false, "system");
        if (!admin.is_ok()) {
            std::fprintf(stderr, "kakitome serve: %s\n", admin.status().to_string().c_str());
            return kExitStoreError;
        }
        print_json_line(
            {{"admin_token", admin->token}, {"note", "shown once; only its SHA-256 is stored"}});
    }
    auto& worker = services->worker();
    api::ApiService api(*services);
    // What takes a mail as its body, and what appends durably (and so waits on an fsync) or
    // runs long, are columns of the route table (api/routes.cc).
    server_options.large_body_paths = api::large_body_paths();
    server_options.blocking = [](const http::HttpRequest& request) {
        return api::route_blocks(request.method, request.target);
    };
    server_options.large_body_limit = limits.max_bytes + 1024 * 1024;
    server_options.tls_certificate_file = arguments->value_or("tls-cert", "");
    server_options.tls_key_file = arguments->value_or("tls-key", "");
    server_options.every_response_headers = api::security_headers();
    server_options.admit = [&api](const http::HttpRequest& headers) { return api.admit(headers); };
    auto server = http::HttpServer::start(
        server_options, [&api](const http::HttpRequest& request) { return api.handle(request); });
    if (!server.is_ok()) {
        std::fprintf(stderr, "kakitome serve: %s\n", server.status().to_string().c_str());
        return kExitStoreError;
    }
    print_json_line(
        {{"listening", server_options.address + ":" + std::to_string(server.value()->port())},
         {"tls", !server_options.tls_certificate_file.empty()}});

    std::thread warm_up_thread([&api] {
        if (auto warmed = api.warm_up(); !warmed.is_ok())
            std::fprintf(stderr, "kakitome serve: warm-up: %s\n", warmed.to_string().c_str());
    });
    std::atomic<bool> stopping{false};
    std::thread worker_thread([&] {
        while (!stopping) {
            auto pass = worker.run_pass();
            if (!pass.is_ok())
                std::fprintf(stderr, "kakitome serve: worker: %s\n",
                             pass.status().to_string().c_str());
            // Wake for new events, or at least once a second for timers and mail retries; but
            // no more than every 100 ms, so that a busy log is folded in batches rather than
            // one pass per event (which would take the CPU from the requests).
            for (int slept = 0; slept < 10 && !stopping; ++slept)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            store.wait_for_head_beyond(worker.position(), std::chrono::milliseconds(900));
        }
    });
    std::thread poller_thread([&] {
        while (poller && !stopping) {
            auto polled = poller->poll_once(report_poll);
            if (!polled.is_ok())
                std::fprintf(stderr, "kakitome serve: imap: %s\n",
                             polled.status().to_string().c_str());
            for (int waited = 0; waited < poll_seconds * 10 && !stopping; ++waited) {
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        }
    });
    // Scheduled backups on a thread of their own: copying the store's changed files must not
    // hold up the worker's passes or any request.
    std::thread backup_thread([&] {
        auto& backups = services->backups();
        while (!stopping) {
            int pause_seconds = 10;
            if (backups.due(services->now_ms() / 1000)) {
                auto backup = backups.run();
                if (backup.is_ok()) {
                    print_json_line({{"backup", backup->id},
                                     {"bytes", backup->bytes},
                                     {"created_at", backup->created_at_seconds}});
                } else {
                    std::fprintf(stderr, "kakitome serve: backup: %s\n",
                                 backup.status().to_string().c_str());
                    pause_seconds = 300;  // a full disk is not fixed in ten seconds
                }
            }
            for (int waited = 0; waited < pause_seconds * 10 && !stopping; ++waited)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
    // The retention policy on its own thread: a sweep reads every application and compacts the
    // blobs, which must not hold up the worker's passes.
    std::thread retention_thread([&] {
        auto& retention = services->retention();
        while (retention.policy().enabled && !stopping) {
            if (retention.due(services->now_ms())) {
                auto pass = retention.run();
                if (pass.is_ok()) {
                    if (!pass->erased.empty() || !pass->erased_mails.empty() || pass->finished > 0)
                        print_json_line(nlohmann::json::parse(pass->to_json()));
                } else {
                    std::fprintf(stderr, "kakitome serve: retention: %s\n",
                                 pass.status().to_string().c_str());
                }
            }
            for (int waited = 0; waited < 100 && !stopping; ++waited)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
    // Each new checkpoint goes to the configured witnesses (C2SP tlog-witness); a refusal is
    // a fork or a rollback someone must look at, so it is printed on every try.
    std::thread witness_thread([&] {
        auto& witnessing = services->witnessing();
        while (witnessing.configured() && !stopping) {
            auto sent = witnessing.run_once([](const std::string& problem) {
                std::fprintf(stderr, "kakitome serve: %s\n", problem.c_str());
            });
            if (!sent.is_ok())
                std::fprintf(stderr, "kakitome serve: witnesses: %s\n", sent.to_string().c_str());
            for (int waited = 0; waited < 10 && !stopping; ++waited)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    print_json_line({{"stopping", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
    server.value()->stop(std::chrono::seconds(10));  // in-flight requests are answered first
    stopping = true;
    store.wake_waiters();
    worker_thread.join();
    poller_thread.join();
    backup_thread.join();
    witness_thread.join();
    retention_thread.join();
    warm_up_thread.join();
    print_json_line({{"stopped", true}, {"head", store.head().value}});
    return kExitOk;
}

}  // namespace kakitome::cli
