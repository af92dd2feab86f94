#include "events/stream_index_audit.h"

#include <rocksdb/db.h>

#include <algorithm>
#include <memory>
#include <numeric>

#include "events/rocksdb_status.h"
#include "events/storage_keys.h"

namespace kakitome {

Result<std::optional<StreamPlace>> first_place_the_index_misses(
    const Database& database, const std::vector<StreamPlace>& places) {
    std::vector<std::string> keys;
    keys.reserve(places.size());
    for (const auto& place : places)
        keys.push_back(storage_keys::stream_key(place.stream, place.version));
    std::vector<std::size_t> order(places.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(),
              [&](std::size_t left, std::size_t right) { return keys[left] < keys[right]; });

    // A pass's reads, like the verifier's scan of the log: around the block cache.
    rocksdb::ReadOptions options;
    options.verify_checksums = true;
    options.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(database.db()->NewIterator(options, database.streams()));
    std::optional<std::size_t> first;
    for (const std::size_t at : order) {
        it->Seek(keys[at]);
        if (!it->status().ok()) return from_rocksdb(it->status(), "reading the stream index");
        const bool points_back =
            it->Valid() && it->key() == rocksdb::Slice(keys[at]) &&
            storage_keys::read_big_endian(it->value().ToStringView()) == places[at].seq.value;
        if (!points_back && (!first || places[at].seq.value < places[*first].seq.value)) first = at;
    }
    if (!first) return std::optional<StreamPlace>();
    return std::optional<StreamPlace>(places[*first]);
}

}  // namespace kakitome
