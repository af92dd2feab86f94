#include "api/cli/store_access.h"

#include <cstdio>

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
        std::fprintf(stderr, "kakitome %s: %s\n", command.c_str(), store.status().to_string().c_str());
        return nullptr;
    }
    return std::move(store).value();
}

}  // namespace kakitome::cli
