// How a subcommand opens a data directory, with errors printed the same way everywhere.
//
// Writers (ingest, command, token, process, download, incident report/scope/...) open the one
// composition, Services (api/services.h). While `kakitome serve` holds the directory they
// cannot: they refuse with a message naming the alternative (the server's REST API with a
// token), never with a raw RocksDB LOCK error.
//
// Readers (verify, events, queue, trail, ledger, export, incident who-saw/saw-what/review,
// replay) open a Reader. With no server running it opens the directory for writing and brings
// the derived data (disclosure index, Merkle tree) up to the head first, so answers are exact.
// Beside a running server it opens a RocksDB secondary (no lock, nothing written) and reads the
// derived data as the server's worker keeps it (within about a second of the head); `lag()`
// says how far behind the disclosure index is, and the commands print that on stderr.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/cli/arguments.h"
#include "api/services.h"
#include "events/event_store.h"
#include "events/ledger.h"

namespace kakitome::cli {

// Settings and the clock: what --config and --now say.
using SettingsAndClock = std::pair<workflow::Settings, std::function<std::int64_t()>>;

// Flags it reads: --data, --master-key, --ledger-key, --config, --now. `adjust` may change the
// options before anything opens (e.g. `process --smtp`). nullptr after printing the error.
std::unique_ptr<Services> open_services_or_report(
    const std::string& command, const Arguments& arguments,
    const std::function<void(ServiceOptions&)>& adjust = {});
// The same with the settings the command already read (settings_and_clock_or_report): a command
// that looks at its configuration before opening reads the file once, so what it checked is what
// it runs with, and a configuration given as a pipe (`--config <(decrypt secrets.json)`) works.
std::unique_ptr<Services> open_services_or_report(
    const std::string& command, const Arguments& arguments, SettingsAndClock settings,
    const std::function<void(ServiceOptions&)>& adjust = {});
// The flags open_services_or_report reads, for Arguments::parse.
inline const std::vector<std::string> kServiceFlags = {
    "data", "master-key", "ledger-key", "config", "now", "reserve-free-bytes"};

struct Reader {
    std::shared_ptr<Database> database;
    std::unique_ptr<EventStore> store;
    std::unique_ptr<Ledger> ledger;  // verifier key from the ledger key file when readable
    bool beside_server = false;      // a secondary: another process holds the directory
    // Events the disclosure index has not folded yet (0 when exact).
    std::uint64_t disclosure_lag() const;
};

// Flags it reads: --data, --ledger-key. nullptr after printing the error.
std::unique_ptr<Reader> open_reader_or_report(const std::string& command,
                                              const Arguments& arguments);

// The exit code for a failed workflow call: refused, bad input or store error.
int exit_code_for(const Status& status);

// Settings and clock from --config and --now (for commands that need no store). nullopt after
// printing the error.
std::optional<SettingsAndClock> settings_and_clock_or_report(const std::string& command,
                                                             const Arguments& arguments);

}  // namespace kakitome::cli
