// kakitome serve [--data DIR] [--listen 127.0.0.1:8080] [--config FILE] [--threads N]
//                [--tls-cert PEM --tls-key PEM] [--master-key FILE] [--request-timeout S]
//                [--imap URL [--poll-seconds N] [--imap-insecure]] [--max-mail-bytes N]
//                [--demo]   (allow the built-in demo storage placeholder)
//                [--log-level debug|info|warning|error] [--admin-token-file FILE]
// kakitome serve --imap URL --once ...   (one IMAP poll, no HTTP server)
//
// Runs the REST API (docs/api.md, docs/openapi.yaml), the workflow worker (timers, outbox,
// projections) and, with --imap, the IMAP poller, until SIGTERM/SIGINT: then it stops accepting,
// answers the requests in flight, finishes the worker's pass, and exits 0. On the first start of
// a data directory it creates an admin token and prints it once on stdout (or, with
// --admin-token-file, writes it to that new 0600 file: a service's stdout goes to the journal).
//
// Under systemd (Type=notify) it says READY=1 once the store is open and the server listens,
// STOPPING=1 when it takes SIGTERM, and on SIGHUP reloads the TLS certificate and the log level
// of the configuration, saying what it reloaded. The operator's log is JSON lines on stderr
// (events/base/operator_log.h): one line per request and per worker pass that appended.
#include <fcntl.h>
#include <pthread.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
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
#include "events/base/operator_log.h"
#include "events/log_table_rewrite.h"
#include "events/meta_store.h"
#include "events/replication/jetstream_start.h"

namespace kakitome::cli {

namespace {

void print_json_line(const nlohmann::json& line) {
    std::printf("%s\n",
                line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    std::fflush(stdout);
}

// The file for the first admin token, created (O_EXCL, 0600) before the token exists, so that
// a file that cannot be made leaves no token behind that nobody can read; -1 when it cannot.
int create_token_file(const std::string& path) {
    return ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
}

bool write_token(int fd, const std::string& token) {
    const std::string line = token + "\n";
    const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    return (::fsync(fd) == 0) & (::close(fd) == 0) & written;
}

void log_error(const std::string& what, const Status& status) {
    logging::write(logging::Level::error, what, {{"error", status.to_string()}});
}

// SIGHUP: what can change without a restart. The TLS certificate and key files (a renewal),
// and the configuration's log_level unless --log-level fixed it. Anything else in the
// configuration needs a restart, and the line says so. A bad file changes nothing.
void reload(http::HttpServer& server, const std::string& config_path, bool level_fixed) {
    nlohmann::json reloaded = nlohmann::json::array();
    if (server.serves_tls()) {
        if (auto tls = server.reload_tls(); tls.is_ok())
            reloaded.push_back("tls_certificate");
        else
            log_error("reload: the TLS certificate was not reloaded", tls);
    }
    // A pipe (`--config <(...)`) was read at start and has nothing more to give: reading it again
    // would wait, on the signal thread, for a writer that never comes.
    std::error_code ignored;
    const auto type = std::filesystem::status(config_path, ignored).type();
    const bool rereadable = config_path.empty() || (type != std::filesystem::file_type::fifo &&
                                                    type != std::filesystem::file_type::socket &&
                                                    type != std::filesystem::file_type::character);
    if (!rereadable) {
        logging::write(logging::Level::warning,
                       "reload: the configuration is a pipe; not read again",
                       {{"config", config_path}});
    } else if (!level_fixed) {
        if (auto settings = workflow::load_settings(config_path); !settings.is_ok()) {
            log_error("reload: the configuration was not reloaded", settings.status());
        } else {
            logging::set_threshold(*logging::level_from_name(settings->log_level));
            reloaded.push_back("log_level");
        }
    }
    logging::write(logging::Level::warning, "reloaded",
                   {{"reloaded", reloaded},
                    {"needs_restart", "every other configuration key"},
                    {"log_level", logging::level_name(logging::threshold())}});
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
                                       "checkpoint-seconds",
                                       "log-level",
                                       "admin-token-file"},
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
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    // The configuration is read once: what is checked here is what the services run with, and a
    // configuration given as a pipe (`--config <(...)`, secrets never on disk) can be read.
    auto settings = settings_and_clock_or_report("serve", arguments.value());
    if (!settings) return kExitBadInput;
    // The flag wins over the configuration's "log_level"; a bad name is refused up front.
    const std::string level_name = arguments->value_or("log-level", settings->first.log_level);
    if (auto level = logging::level_from_name(level_name)) {
        logging::set_threshold(*level);
    } else {
        std::fprintf(stderr, "kakitome serve: --log-level must be debug, info, warning or error\n");
        return kExitBadInput;
    }

    if (workflow::uses_demo_storage(settings->first) && !arguments->has("demo") &&
        !arguments->has("once")) {
        std::fprintf(stderr,
                     "kakitome serve: the video storage is the built-in demo placeholder "
                     "(127.0.0.1:9000, key AKIDKAKITOMEDEMO); download links would point "
                     "nowhere. Give --config FILE with a \"storage\" part (docs/workflow.md), "
                     "or --demo to run the demo anyway.\n");
        return kExitBadInput;
    }
    auto services = open_services_or_report(
        "serve", arguments.value(), std::move(settings).value(), [&](ServiceOptions& options) {
            options.mail_limits = limits;
            auto& backup = options.settings.backup;
            if (auto directory = arguments->value("backup-dir")) backup.directory = *directory;
            if (backup_every_minutes) backup.every_minutes = *backup_every_minutes;
            if (backup_keep) backup.keep = *backup_keep;
            options.checkpoint_every_seconds = checkpoint_seconds;
            options.join_replication = !arguments->has("once");
            // Listen at once; the worker folds the read models first (503 catching_up meanwhile).
            options.fold_projections_on_open = arguments->has("once");
        });
    if (!services) return kExitStoreError;
    EventStore& store = services->store();
    // A replicated node reads the whole replicated log (re-verifying it) before it serves, then
    // follows it as a standby or writes it as the primary (docs/replication.md); its read
    // models fold that log after it listens.
    replication::ReplicationNode* node = services->replication();
    if (node != nullptr) {
        if (auto prepared = replication::wait_for_jetstream("joining the replicated log",
                                                            [&] { return node->prepare(); });
            !prepared.is_ok()) {
            std::fprintf(stderr, "kakitome serve: the replicated log: %s\n",
                         prepared.to_string().c_str());
            return kExitStoreError;
        }
        // The principals were loaded from the store as it was before it read the log: a wiped
        // node knew none, took itself for a new cluster's first node and made a second admin.
        const auto reload_principals = [&] {
            const Status loaded = services->principals().load();
            if (!loaded.is_ok())
                std::fprintf(stderr, "kakitome serve: %s\n", loaded.to_string().c_str());
            return loaded.is_ok();
        };
        if (!reload_principals()) return kExitStoreError;
        // The read models fold after it listens, as an embedded node's do (503 catching_up
        // meanwhile): a wiped node's fold of a long log must not keep it from answering.
        node->start();
        // The first start of a cluster: give this node a moment to take the lease, so that the
        // node started first is the primary and creates the first admin token.
        const auto give_up =
            std::chrono::steady_clock::now() +
            2 * std::chrono::milliseconds(services->settings().replication.lease_ms);
        while (!store.writer_state().writer && services->principals().empty() &&
               std::chrono::steady_clock::now() < give_up)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        // Once more now that it is primary or standby: a primary elsewhere may have created
        // the first admin meanwhile.
        if (!reload_principals()) return kExitStoreError;
        const auto now = node->status();
        print_json_line({{"replication", now.primary ? "primary" : "standby"},
                         {"node", now.node},
                         {"head", now.applied},
                         {"why", now.reason}});
    }
    // Tables an older kakitome wrote are read at their old speed until an operator rewrites them
    // (docs/operations.md, "After an upgrade"): say so once, where the service's log shows it.
    if (auto tables = survey_log_tables(*store.database());
        tables.is_ok() && tables->older_tables > 0) {
        print_json_line({{"older_log_tables", tables->older_tables},
                         {"older_log_bytes", tables->older_bytes},
                         {"note",
                          "the log holds tables in an older format; `kakitome upgrade-tables`, "
                          "with the server stopped, rewrites them for faster replays"}});
    }
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
    if (principals.empty() && node != nullptr && !store.writer_state().writer) {
        print_json_line({{"admin_token", nullptr},
                         {"note",
                          "a standby does not create the first admin token; the "
                          "primary does, and this node learns it from the log"}});
    } else if (principals.empty()) {
        const auto token_file = arguments->value("admin-token-file");
        const int token_fd = token_file ? create_token_file(*token_file) : -1;
        if (token_file && token_fd < 0) {
            std::fprintf(stderr,
                         "kakitome serve: cannot create %s for the first admin token (%s); it "
                         "must not exist yet, in a directory kakitome may write\n",
                         token_file->c_str(), std::strerror(errno));
            return kExitStoreError;
        }
        auto admin = principals.create("admin", auth::Role::admin, false, "system");
        if (!admin.is_ok()) {
            std::fprintf(stderr, "kakitome serve: %s\n", admin.status().to_string().c_str());
            return kExitStoreError;
        }
        if (token_file) {
            if (!write_token(token_fd, admin->token)) {
                // The token exists but nobody has it: revoke it, and say how to make another.
                (void)principals.revoke("admin", "the token file could not be written", "system");
                std::fprintf(stderr,
                             "kakitome serve: cannot write %s; the admin token was revoked. "
                             "Create another with kakitome token create --role admin (server "
                             "stopped)\n",
                             token_file->c_str());
                return kExitStoreError;
            }
            print_json_line({{"admin_token_file", *token_file},
                             {"note", "the first admin token, 0600; only its SHA-256 is stored"}});
        } else {
            print_json_line({{"admin_token", admin->token},
                             {"note", "shown once; only its SHA-256 is stored"}});
        }
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
    // Asynchronous: a PII read answers from the store's commit thread once its disclosure is
    // durable, so hundreds of them wait for one group commit without a thread each.
    auto server = http::HttpServer::start(
        server_options, [&api](const http::HttpRequest& request, http::HttpReply reply) {
            api.handle(request, std::move(reply));
        });
    if (!server.is_ok()) {
        std::fprintf(stderr, "kakitome serve: %s\n", server.status().to_string().c_str());
        return kExitStoreError;
    }
    print_json_line(
        {{"listening", server_options.address + ":" + std::to_string(server.value()->port())},
         {"tls", !server_options.tls_certificate_file.empty()}});
    // The store is open and the server listens: ready for systemd (a no-op outside it).
    sd_notifyf(0, "READY=1\nSTATUS=listening on %s:%u, head %llu", server_options.address.c_str(),
               static_cast<unsigned>(server.value()->port()),
               static_cast<unsigned long long>(store.head().value));

    // Whether this process writes the log: always when embedded; the primary when replicated.
    auto writes = [&] { return node == nullptr || store.writer_state().writer; };
    std::thread warm_up_thread([&api] {
        if (auto warmed = api.warm_up(); !warmed.is_ok()) log_error("warm-up failed", warmed);
    });
    std::atomic<bool> stopping{false};
    std::thread worker_thread([&] {
        // First the read models fold what the log holds (minutes on a long log with none stored;
        // the routes that read them answer 503 catching_up until then), then the passes begin,
        // in the order open() would have had them.
        for (bool folded = services->options().fold_projections_on_open; !folded && !stopping;) {
            const auto started = std::chrono::steady_clock::now();
            const Status refreshed = worker.refresh();
            folded = refreshed.is_ok();
            if (!folded && stopping) {
                logging::write(logging::Level::info, "read models' fold stopped",
                               {{"reason", refreshed.message()}});
                break;
            }
            if (!folded) {
                log_error("folding the read models failed", refreshed);
                std::this_thread::sleep_for(std::chrono::seconds(1));
                continue;
            }
            logging::write(logging::Level::info, "read models folded",
                           {{"through", services->read_models().folded_through().value},
                            {"elapsed_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::steady_clock::now() - started)
                                               .count()}});
        }
        while (!stopping) {
            // A standby folds what the primary wrote, and fires and sends nothing itself.
            const bool primary = writes();
            auto pass = worker.run_pass(primary ? WorkflowWorker::Role::primary
                                                : WorkflowWorker::Role::standby);
            if (!pass.is_ok()) {
                log_error("worker pass failed", pass.status());
            } else {
                // Once per application and error, not every second: /metrics counts them.
                for (const auto& failure : pass->timers_newly_failed)
                    logging::write(
                        logging::Level::error, "a timer could not fire",
                        {{"application", failure.application},
                         {"error", failure.status.to_string()},
                         {"note",
                          "retried after a backoff of up to 5 minutes; the other timers go on"}});
                if (!pass->appended.empty())
                    logging::write(
                        logging::Level::info, "worker",
                        {{"appended", pass->appended}, {"mails_pending", pass->mail.pending}});
            }
            // Wake for new events, or at least once a second for timers and mail retries; but
            // no more than every 100 ms, so that a busy log is folded in batches rather than
            // one pass per event (which would take the CPU from the requests).
            for (int slept = 0; slept < 10 && !stopping; ++slept)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            store.wait_for_head_beyond(worker.position(), std::chrono::milliseconds(900));
        }
    });
    // Only the node that writes takes mail in, sweeps for retention and shows its checkpoints to
    // witnesses: a standby's ingest could not be recorded, its erasures would have no event, and
    // a witness follows one log's signatures.
    std::thread poller_thread([&] {
        while (poller && !stopping) {
            if (!writes()) {
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
                continue;
            }
            auto polled = poller->poll_once(report_poll);
            if (!polled.is_ok()) log_error("imap poll failed", polled.status());
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
                    log_error("backup failed", backup.status());
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
            if (writes() && retention.due(services->now_ms())) {
                auto pass = retention.run();
                if (pass.is_ok()) {
                    if (!pass->erased.empty() || !pass->erased_mails.empty() || pass->finished > 0)
                        print_json_line(nlohmann::json::parse(pass->to_json()));
                } else {
                    log_error("retention sweep failed", pass.status());
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
            if (!writes()) {
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
                continue;
            }
            auto sent = witnessing.run_once([](const std::string& problem) {
                logging::write(logging::Level::error, "witness refused", {{"problem", problem}});
            });
            if (!sent.is_ok()) log_error("witnesses unreachable", sent);
            for (int waited = 0; waited < 10 && !stopping; ++waited)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
    int signal_number = 0;
    for (;;) {
        sigwait(&signals, &signal_number);
        if (signal_number != SIGHUP) break;
        sd_notify(0, "RELOADING=1");
        reload(*server.value(), arguments->value_or("config", ""), arguments->has("log-level"));
        sd_notify(0, "READY=1");
    }
    sd_notify(0, "STOPPING=1");
    print_json_line({{"stopping", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
    server.value()->stop(std::chrono::seconds(10));  // in-flight requests are answered first
    // A primary hands the lease on now, so a standby takes over without waiting for the ttl.
    if (node != nullptr) node->stop();
    stopping = true;
    services->read_models().request_stop();  // a first fold ends at its next slice
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
