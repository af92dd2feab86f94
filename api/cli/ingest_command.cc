// kakitome ingest [--data DIR] [--master-key FILE] [--max-mail-bytes N] FILE.eml... | DIR...
// Prints one JSON line per mail: file, message id, classification, application, state.
// A Maildir (cur/ and new/) is read in delivery order (file names); another directory of .eml
// files in the order of their Date headers, so that a mailbox export replays as it arrived.
// Exit 0 when every mail was recorded (rejected mails are recorded too), 4 on a store error.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "api/cli/arguments.h"
#include "api/cli/commands.h"
#include "api/cli/file_io.h"
#include "api/cli/store_access.h"
#include "engine/intake/intake_service.h"

namespace kakitome::cli {

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> regular_files_in(const fs::path& directory) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(directory)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

// Mail files in arrival order.
std::vector<fs::path> expand_inputs(const std::vector<std::string>& inputs,
                                    const intake::MailLimits& limits) {
    std::vector<fs::path> files;
    for (const auto& input : inputs) {
        const fs::path path(input);
        if (!fs::is_directory(path)) {
            files.push_back(path);
        } else if (fs::is_directory(path / "cur") || fs::is_directory(path / "new")) {
            for (const char* sub : {"cur", "new"}) {
                if (fs::is_directory(path / sub)) {
                    auto found = regular_files_in(path / sub);
                    files.insert(files.end(), found.begin(), found.end());
                }
            }
        } else {
            std::vector<std::pair<std::string, fs::path>> dated;
            for (const auto& file : regular_files_in(path)) {
                auto bytes = read_whole_file(file.string(), limits.max_bytes);
                std::string date;
                if (bytes.is_ok()) {
                    auto mail = intake::parse_mail(bytes.value(), limits);
                    if (mail.is_ok()) date = mail->date;
                }
                dated.emplace_back(date, file);
            }
            std::stable_sort(dated.begin(), dated.end());
            for (auto& [date, file] : dated) files.push_back(file);
        }
    }
    return files;
}

}  // namespace

int run_ingest(const Words& words) {
    auto arguments = Arguments::parse(
        words,
        {"data", "master-key", "ledger-key", "config", "max-mail-bytes", "reserve-free-bytes"}, {});
    intake::MailLimits limits;
    bool valid = arguments.is_ok() && !arguments->positionals().empty();
    if (valid && arguments->has("max-mail-bytes")) {
        try {
            limits.max_bytes = std::stoull(*arguments->value("max-mail-bytes"));
        } catch (const std::exception&) {
            valid = false;
        }
    }
    if (!valid) {
        std::fprintf(stderr,
                     "usage: kakitome ingest [--data DIR] [--master-key FILE] [--max-mail-bytes N] "
                     "[--reserve-free-bytes BYTES] FILE.eml...|DIR...\n");
        return kExitBadInput;
    }
    auto services =
        open_services_or_report("ingest", arguments.value(),
                                [&](ServiceOptions& options) { options.mail_limits = limits; });
    if (!services) return kExitStoreError;
    auto& intake = services->intake();

    int exit_code = kExitOk;
    for (const auto& file : expand_inputs(arguments->positionals(), limits)) {
        // Read a little past the limit, so an oversized mail is recorded as too_large, not lost.
        auto bytes = read_whole_file(file.string(), 1u << 30);
        nlohmann::json line;
        if (!bytes.is_ok()) {
            line = {{"file", file.string()}, {"error", bytes.status().to_string()}};
            exit_code = kExitBadInput;
        } else {
            auto outcome = intake.ingest(bytes.value(), "file");
            if (!outcome.is_ok()) {
                std::fprintf(stderr, "kakitome ingest: %s: %s\n", file.c_str(),
                             outcome.status().to_string().c_str());
                return kExitStoreError;
            }
            line = nlohmann::json::parse(outcome->to_json());
            line["file"] = file.string();
        }
        std::printf("%s\n",
                    line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        std::fflush(stdout);
    }
    return exit_code;
}

}  // namespace kakitome::cli
