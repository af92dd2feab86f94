#include "api/cli/store_access.h"

#include <cstdio>

#include "events/master_key.h"
#include "projections/projection_runner.h"

namespace kakitome::cli {

std::unique_ptr<EventStore> open_store_or_report(const std::string& command,
                                                 const std::string& directory, bool read_only,
                                                 Durability durability) {
    auto database = Database::open({.directory = directory, .read_only = read_only});
    if (!database.is_ok()) {
        std::fprintf(stderr, "kakitome %s: %s\n", command.c_str(),
                     database.status().to_string().c_str());
        return nullptr;
    }
    auto store = EventStore::open(database.value(), {.durability = durability});
    if (!store.is_ok()) {
        std::fprintf(stderr, "kakitome %s: %s\n", command.c_str(),
                     store.status().to_string().c_str());
        return nullptr;
    }
    return std::move(store).value();
}

std::unique_ptr<Environment> open_environment_or_report(const std::string& command,
                                                        const std::string& directory,
                                                        const std::string& master_key_path) {
    auto report = [&](const Status& status) {
        std::fprintf(stderr, "kakitome %s: %s\n", command.c_str(), status.to_string().c_str());
        return nullptr;
    };
    auto environment = std::make_unique<Environment>();
    auto key = load_or_create_master_key(master_key_path.empty() ? directory + "/master.key"
                                                                 : master_key_path);
    if (!key.is_ok()) return report(key.status());
    environment->master_key = key.value();
    std::vector<std::string> families = projection_families();
    families.push_back(kDataKeysFamily);
    families.push_back(kMerkleFamily);
    auto database = Database::open({.directory = directory, .extra_column_families = families});
    if (!database.is_ok()) return report(database.status());
    environment->database = database.value();
    auto store = EventStore::open(environment->database, {.durability = Durability::sync});
    if (!store.is_ok()) return report(store.status());
    environment->store = std::move(store).value();
    environment->blobs =
        std::make_unique<BlobStore>(environment->database, environment->master_key);
    auto vault = DataKeyVault::open(environment->database, environment->master_key);
    if (!vault.is_ok()) return report(vault.status());
    environment->vault = std::move(vault).value();
    auto signer =
        NoteSigner::load_or_create(std::filesystem::path(directory) / "ledger.key", kLedgerOrigin);
    if (!signer.is_ok()) return report(signer.status());
    auto ledger = Ledger::open(*environment->store, std::move(signer).value(), kLedgerOrigin);
    if (!ledger.is_ok()) return report(ledger.status());
    environment->ledger = std::move(ledger).value();
    return environment;
}

std::unique_ptr<Ledger> open_ledger_read_only_or_report(const std::string& command,
                                                        const EventStore& store) {
    auto ledger = Ledger::open(store, std::nullopt, kLedgerOrigin);
    if (!ledger.is_ok()) {
        std::fprintf(stderr, "kakitome %s: %s\n", command.c_str(),
                     ledger.status().to_string().c_str());
        return nullptr;
    }
    return std::move(ledger).value();
}

}  // namespace kakitome::cli
