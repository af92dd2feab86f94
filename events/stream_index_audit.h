// The audit of the stream index for a batch of events: each event's entry (its stream, its
// version) must exist and name the event's seq. The entries are looked up in key order with one
// iterator, so entries that share a table block are read from it once: a lookup per event in
// seq order read a block per event, half of `kakitome verify`'s time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "events/base/status.h"
#include "events/database.h"
#include "events/domain_types.h"

namespace kakitome {

// An event's place in its stream.
struct StreamPlace {
    Seq seq;
    std::string stream;
    std::uint64_t version = 0;
};

// The place with the lowest seq whose index entry is missing or names another seq; nullopt when
// every entry points back at its event. Fails only when RocksDB does.
Result<std::optional<StreamPlace>> first_place_the_index_misses(
    const Database& database, const std::vector<StreamPlace>& places);

}  // namespace kakitome
