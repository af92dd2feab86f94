// Opening the event store from a subcommand, with errors printed the same way everywhere.
#pragma once

#include <memory>
#include <string>

#include "events/event_store.h"

namespace kakitome::cli {

// nullptr after printing "kakitome <command>: <error>" to stderr.
std::unique_ptr<EventStore> open_store_or_report(const std::string& command,
                                                 const std::string& directory, bool read_only,
                                                 Durability durability = Durability::sync);

}  // namespace kakitome::cli
