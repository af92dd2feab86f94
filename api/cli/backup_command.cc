// kakitome backup [--data DIR] [--config FILE] [--to DIR] [--keep N]
// kakitome backup --server URL --token-file FILE [--cacert PEM]
// kakitome backup list|verify [--from DIR] [--backup ID] [--config FILE]
//
// Backs the data directory up (events/backups.h: consistent, incremental, checksummed; the
// newest N kept) into the configured backup directory or --to, and prints what the backup
// holds. While `serve` holds the directory it cannot open it: --server has the running server
// make the backup (POST /v1/backups with an admin's token, into its configured directory) and
// prints the server's answer, or the server backs up on its schedule
// ("backup": {"every_minutes": M}).
// `list` prints each backup as a JSON line; `verify` re-reads every file of one (or every)
// backup against its checksum: exit 0 all good, 1 a damaged backup.
#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "api/cli/arguments.h"
#include "api/cli/commands.h"
#include "api/cli/file_io.h"
#include "api/cli/store_access.h"
#include "api/http/http_client.h"
#include "events/backups.h"

namespace kakitome::cli {

namespace {

nlohmann::json backup_json(const BackupInfo& backup) {
    nlohmann::json line{{"backup", backup.id},
                        {"created_at", backup.created_at_seconds},
                        {"bytes", backup.bytes},
                        {"files", backup.files}};
    const auto metadata = nlohmann::json::parse(backup.metadata, nullptr, false);
    if (metadata.is_object()) {
        line["head"] = metadata.value("head", std::uint64_t{0});
        line["checkpoint_size"] = metadata.value("checkpoint_size", std::uint64_t{0});
    }
    return line;
}

int usage() {
    std::fprintf(stderr,
                 "usage: kakitome backup [--data DIR] [--config FILE] [--to DIR] [--keep N]\n"
                 "       kakitome backup --server URL --token-file FILE [--cacert PEM]\n"
                 "       kakitome backup list|verify [--from DIR] [--backup ID] [--config FILE]\n");
    return kExitBadInput;
}

int list_or_verify(const Arguments& arguments, const std::string& action) {
    auto settings = settings_and_clock_or_report("backup", arguments);
    if (!settings) return kExitBadInput;
    const std::string directory = arguments.value_or("from", settings->first.backup.directory);
    if (directory.empty()) {
        std::fprintf(stderr,
                     "kakitome backup: give --from DIR (no backup directory is configured)\n");
        return kExitBadInput;
    }
    auto backups = list_backups(directory);
    if (!backups.is_ok()) {
        std::fprintf(stderr, "kakitome backup: %s\n", backups.status().to_string().c_str());
        return kExitStoreError;
    }
    bool all_good = true;
    for (const auto& backup : backups.value()) {
        if (auto only = arguments.value("backup"); only && *only != std::to_string(backup.id))
            continue;
        auto line = backup_json(backup);
        if (action == "verify") {
            const Status verified = verify_backup(directory, backup.id);
            line["verified"] = verified.is_ok();
            if (!verified.is_ok()) {
                line["error"] = verified.message();
                all_good = false;
            }
        }
        std::printf("%s\n", line.dump().c_str());
    }
    return all_good ? kExitOk : kExitCheckFailed;
}

// The running server makes the backup: it holds the store, and a backup is consistent only from
// the process that writes it. Its answer is printed as it came.
int backup_through_server(const Arguments& arguments) {
    const std::string server = *arguments.value("server");
    auto token = read_whole_file(arguments.value_or("token-file", ""), 4096);
    if (!token.is_ok()) {
        std::fprintf(stderr, "kakitome backup: --token-file: %s\n",
                     token.status().to_string().c_str());
        return kExitBadInput;
    }
    // The token, without the file's surrounding blanks and line end.
    const std::string& text = token.value();
    const auto first = text.find_first_not_of(" \t\r\n");
    const std::string bearer =
        first == std::string::npos
            ? std::string()
            : text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
    // A token is printable ASCII; anything else (a second line, a control character) would
    // become part of the request's headers.
    const bool printable =
        std::all_of(bearer.begin(), bearer.end(), [](char c) { return c > ' ' && c < 0x7f; });
    if (bearer.empty() || !printable) {
        std::fprintf(stderr,
                     "kakitome backup: the token file must hold one token (printable ASCII)\n");
        return kExitBadInput;
    }
    const std::string url =
        (server.ends_with("/") ? server.substr(0, server.size() - 1) : server) + "/v1/backups";
    const http::ClientReply reply =
        http::send_request({.method = "POST",
                            .url = url,
                            .headers = {"Authorization: Bearer " + bearer},
                            .authority_file = arguments.value_or("cacert", ""),
                            // A backup of a large store takes minutes; the server answers when
                            // it is complete and verified.
                            .timeout_seconds = 6 * 3600});
    if (!reply.error.empty()) {
        std::fprintf(stderr, "kakitome backup: no answer from %s: %s\n", url.c_str(),
                     reply.error.c_str());
        return kExitStoreError;
    }
    if (reply.status == 201) {
        const auto answer = nlohmann::json::parse(reply.body, nullptr, false);
        std::printf("%s\n", answer.is_discarded() ? reply.body.c_str() : answer.dump().c_str());
        return kExitOk;
    }
    const auto problem = nlohmann::json::parse(reply.body, nullptr, false);
    const std::string detail =
        problem.is_object() ? problem.value("detail", reply.body) : reply.body;
    std::fprintf(stderr, "kakitome backup: the server answered %ld: %s%s\n", reply.status,
                 detail.c_str(),
                 reply.status == 401 || reply.status == 403 ? " (give an admin's token)" : "");
    return reply.status >= 400 && reply.status < 500 ? kExitBadInput : kExitStoreError;
}

}  // namespace

int run_backup(const Words& words) {
    std::set<std::string> flags(kServiceFlags.begin(), kServiceFlags.end());
    flags.insert({"to", "keep", "from", "backup", "server", "token-file", "cacert"});
    auto arguments = Arguments::parse(words, flags, {});
    if (!arguments.is_ok() || arguments->positionals().size() > 1) return usage();
    if (arguments->has("server")) {
        // The server backs up into its own configured directory, keeping its own number.
        if (!arguments->positionals().empty() || !arguments->has("token-file") ||
            arguments->has("to") || arguments->has("keep"))
            return usage();
        return backup_through_server(arguments.value());
    }
    if (!arguments->positionals().empty()) {
        const std::string action = arguments->positionals()[0];
        if (action != "list" && action != "verify") return usage();
        return list_or_verify(arguments.value(), action);
    }
    std::uint32_t keep = 0;
    try {
        if (auto given = arguments->value("keep"))
            keep = static_cast<std::uint32_t>(std::stoul(*given));
    } catch (const std::exception&) {
        return usage();
    }
    if (arguments->has("keep") && keep < 1) return usage();
    auto services =
        open_services_or_report("backup", arguments.value(), [&](ServiceOptions& options) {
            if (auto to = arguments->value("to")) options.settings.backup.directory = *to;
            if (keep > 0) options.settings.backup.keep = keep;
        });
    if (!services) return kExitStoreError;
    auto backup = services->backups().run();
    if (!backup.is_ok()) {
        std::fprintf(stderr, "kakitome backup: %s\n", backup.status().to_string().c_str());
        return backup.status().code() == StatusCode::failed_precondition ? kExitBadInput
                                                                         : kExitStoreError;
    }
    auto line = backup_json(backup.value());
    line["directory"] = services->backups().settings().directory;
    line["verified"] = true;
    std::printf("%s\n", line.dump().c_str());
    return kExitOk;
}

}  // namespace kakitome::cli
