#include "api/cli/store_access.h"

#include <chrono>
#include <cstdio>
#include <thread>

#include "api/cli/commands.h"
#include "events/base/timestamp.h"
#include "events/note_signer.h"
#include "projections/disclosure_index.h"
#include "projections/projection_runner.h"

namespace kakitome::cli {

namespace {

void report(const std::string& command, const std::string& directory, const Status& status) {
    if (is_locked_by_another_process(status)) {
        std::fprintf(stderr,
                     "kakitome %s: %s is in use by a running `kakitome serve`. Run this through "
                     "its REST API with a token (docs/api.md), or stop the server first.\n",
                     command.c_str(), directory.c_str());
        return;
    }
    std::fprintf(stderr, "kakitome %s: %s\n", command.c_str(), status.to_string().c_str());
}

std::filesystem::path ledger_key_path(const Arguments& arguments, const std::string& directory) {
    return arguments.value_or("ledger-key", directory + "/ledger.key");
}

}  // namespace

std::optional<SettingsAndClock> settings_and_clock_or_report(const std::string& command,
                                                             const Arguments& arguments) {
    auto settings = workflow::load_settings(arguments.value_or("config", ""));
    if (!settings.is_ok()) {
        std::fprintf(stderr, "kakitome %s: %s\n", command.c_str(),
                     settings.status().to_string().c_str());
        return std::nullopt;
    }
    std::function<std::int64_t()> clock = system_clock_ms;
    if (auto now = arguments.value("now")) {
        auto fixed = parse_rfc3339_ms(*now);
        if (!fixed) {
            std::fprintf(
                stderr,
                "kakitome %s: --now wants an RFC 3339 time such as 2026-11-24T09:00:00+09:00\n",
                command.c_str());
            return std::nullopt;
        }
        clock = [at = *fixed] { return at; };
    }
    return std::make_pair(std::move(settings).value(), std::move(clock));
}

std::unique_ptr<Services> open_services_or_report(
    const std::string& command, const Arguments& arguments,
    const std::function<void(ServiceOptions&)>& adjust) {
    auto settings = settings_and_clock_or_report(command, arguments);
    if (!settings) return nullptr;
    return open_services_or_report(command, arguments, std::move(settings).value(), adjust);
}

std::unique_ptr<Services> open_services_or_report(
    const std::string& command, const Arguments& arguments, SettingsAndClock settings,
    const std::function<void(ServiceOptions&)>& adjust) {
    const std::string directory = arguments.value_or("data", kDefaultDataDirectory);
    ServiceOptions options;
    options.data_directory = directory;
    options.master_key_file = arguments.value_or("master-key", "");
    options.ledger_key_file = ledger_key_path(arguments, directory);
    if (auto reserve = arguments.value("reserve-free-bytes")) {
        try {
            options.reserved_free_bytes = std::stoull(*reserve);
        } catch (const std::exception&) {
            std::fprintf(stderr, "kakitome %s: --reserve-free-bytes takes a number of bytes\n",
                         command.c_str());
            return nullptr;
        }
    }
    if (!arguments.has("reserve-free-bytes") && settings.first.reserve_free_bytes)
        options.reserved_free_bytes = *settings.first.reserve_free_bytes;
    options.settings = std::move(settings.first);
    options.clock_ms = std::move(settings.second);
    if (adjust) adjust(options);
    // A reader (queue, events, ...) holds the directory for a moment when no server runs: wait
    // up to 3 s for it rather than failing a server's start. A running server never lets go,
    // and is reported as such after the wait.
    auto services = Services::open(options);
    for (int waited = 0;
         !services.is_ok() && is_locked_by_another_process(services.status()) && waited < 30;
         ++waited) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        services = Services::open(options);
    }
    if (!services.is_ok()) {
        report(command, directory, services.status());
        return nullptr;
    }
    return std::move(services).value();
}

std::uint64_t Reader::disclosure_lag() const {
    const std::uint64_t at = DisclosureIndex(*store).position().value;
    return store->head().value > at ? store->head().value - at : 0;
}

std::unique_ptr<Reader> open_reader_or_report(const std::string& command,
                                              const Arguments& arguments) {
    const std::string directory = arguments.value_or("data", kDefaultDataDirectory);
    if (!std::filesystem::exists(std::filesystem::path(directory) / "CURRENT")) {
        std::fprintf(stderr, "kakitome %s: no kakitome data in %s\n", command.c_str(),
                     directory.c_str());
        return nullptr;
    }
    auto reader = std::make_unique<Reader>();
    std::vector<std::string> families = projection_families();
    families.push_back(kMerkleFamily);
    families.push_back(kDisclosuresFamily);
    auto database = Database::open({.directory = directory, .extra_column_families = families});
    if (!database.is_ok() && is_locked_by_another_process(database.status())) {
        reader->beside_server = true;
        database = Database::open({.directory = directory, .read_only = true});
    }
    if (!database.is_ok()) {
        report(command, directory, database.status());
        return nullptr;
    }
    reader->database = database.value();
    auto store = EventStore::open(reader->database);
    if (!store.is_ok()) {
        report(command, directory, store.status());
        return nullptr;
    }
    reader->store = std::move(store).value();
    // The verifier key comes from the signing key when it is readable here; a reader never
    // creates one.
    std::optional<NoteSigner> signer;
    const auto key_file = ledger_key_path(arguments, directory);
    if (std::filesystem::exists(key_file)) {
        auto loaded = NoteSigner::load_or_create(key_file, kLedgerOrigin);
        if (!loaded.is_ok()) {
            report(command, directory, loaded.status());
            return nullptr;
        }
        signer = std::move(loaded).value();
    }
    auto ledger = Ledger::open(*reader->store, std::move(signer), kLedgerOrigin);
    if (!ledger.is_ok()) {
        report(command, directory, ledger.status());
        return nullptr;
    }
    reader->ledger = std::move(ledger).value();
    if (!reader->beside_server) {
        Status caught_up = reader->ledger->extend();
        if (caught_up.is_ok()) {
            // A first catch-up far behind runs as a bulk load: ended here, not left with level 0
            // full of tables for the next writer to stall on.
            DisclosureIndex disclosures(*reader->store);
            caught_up = disclosures.catch_up();
            if (caught_up.is_ok()) caught_up = disclosures.settle();
        }
        if (!caught_up.is_ok()) {
            report(command, directory, caught_up);
            return nullptr;
        }
    }
    return reader;
}

int exit_code_for(const Status& status) {
    switch (status.code()) {
        case StatusCode::failed_precondition:
        case StatusCode::conflict:
            return kExitRefused;
        case StatusCode::invalid_argument:
        case StatusCode::not_found:
            return kExitBadInput;
        default:
            return kExitStoreError;
    }
}

}  // namespace kakitome::cli
