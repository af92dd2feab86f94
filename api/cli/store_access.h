// Opening the event store from a subcommand, with errors printed the same way everywhere.
#pragma once

#include <memory>
#include <string>

#include "events/blob_store.h"
#include "events/data_key_vault.h"
#include "events/event_store.h"
#include "events/ledger.h"

namespace kakitome::cli {

// nullptr after printing "kakitome <command>: <error>" to stderr.
std::unique_ptr<EventStore> open_store_or_report(const std::string& command,
                                                 const std::string& directory, bool read_only,
                                                 Durability durability = Durability::sync);

// Everything a writing command needs: the store, the encrypted blob store, the data-key vault,
// and the master key (from --master-key FILE, default DIR/master.key, created 0600 on first use).
struct Environment {
    std::shared_ptr<Database> database;
    std::unique_ptr<EventStore> store;
    std::unique_ptr<BlobStore> blobs;
    std::unique_ptr<DataKeyVault> vault;
    std::unique_ptr<Ledger> ledger;  // signing key DIR/ledger.key (created 0600 on first use)
    AeadKey master_key{};
};

inline constexpr const char* kLedgerOrigin = "kakitome.example/ledger";

// The ledger of a store opened read-only (no signing key needed: proofs and stored checkpoints).
std::unique_ptr<Ledger> open_ledger_read_only_or_report(const std::string& command,
                                                        const EventStore& store);

// nullptr after printing the error.
std::unique_ptr<Environment> open_environment_or_report(const std::string& command,
                                                        const std::string& directory,
                                                        const std::string& master_key_path);

}  // namespace kakitome::cli
