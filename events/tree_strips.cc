#include "events/tree_strips.h"

#include <algorithm>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "events/rocksdb_status.h"

namespace kakitome::tree_strips {

namespace {

constexpr std::size_t kHashSize = sizeof(merkle::Hash);

void append_big_endian(std::string& key, std::uint64_t value) {
    for (int shift = 56; shift >= 0; shift -= 8) key += static_cast<char>((value >> shift) & 0xff);
}

// A strip holds whole hashes, at most kStripWidth of them.
Status check_strip_size(std::size_t size) {
    if (size % kHashSize != 0 || size > kStripWidth * kHashSize)
        return Status::corruption("a stored merkle strip is not a whole number of hashes");
    return Status::ok();
}

merkle::Hash hash_at(std::string_view bytes, std::size_t offset) {
    merkle::Hash hash{};
    std::copy_n(bytes.data() + offset, kHashSize, reinterpret_cast<char*>(hash.data()));
    return hash;
}

Result<std::optional<merkle::Hash>> read_single_node(const Database& database,
                                                     rocksdb::ColumnFamilyHandle* family,
                                                     unsigned level, std::uint64_t index) {
    rocksdb::PinnableSlice value;
    auto got =
        database.db()->Get(rocksdb::ReadOptions(), family, single_node_key(level, index), &value);
    if (got.IsNotFound()) return std::optional<merkle::Hash>();
    if (!got.ok()) return from_rocksdb(got, "reading a merkle node");
    if (value.size() != kHashSize)
        return Status::corruption("a stored merkle node is not 32 bytes");
    return std::optional<merkle::Hash>(hash_at(value.ToStringView(), 0));
}

// Node (level, index) from the bytes of its strip (empty when the strip is not stored), else
// from a key of its own (a tree stored before strips).
Result<std::optional<merkle::Hash>> node_in_strip_or_alone(const Database& database,
                                                           rocksdb::ColumnFamilyHandle* family,
                                                           std::string_view strip, unsigned level,
                                                           std::uint64_t index) {
    const std::size_t offset = (index % kStripWidth) * kHashSize;
    if (offset < strip.size()) return std::optional<merkle::Hash>(hash_at(strip, offset));
    return read_single_node(database, family, level, index);
}

}  // namespace

std::string strip_key(unsigned level, std::uint64_t strip) {
    std::string key = "t";
    key += static_cast<char>(level);
    append_big_endian(key, strip);
    return key;
}

std::string single_node_key(unsigned level, std::uint64_t index) {
    std::string key(1, static_cast<char>(level));
    append_big_endian(key, index);
    return key;
}

Result<std::optional<merkle::Hash>> read_node(const Database& database,
                                              rocksdb::ColumnFamilyHandle* family, unsigned level,
                                              std::uint64_t index) {
    // Pinned: a strip is up to 8 KiB and a proof reads dozens of nodes; only 32 bytes are kept.
    rocksdb::PinnableSlice strip;
    auto got = database.db()->Get(rocksdb::ReadOptions(), family,
                                  strip_key(level, index / kStripWidth), &strip);
    if (!got.ok() && !got.IsNotFound()) return from_rocksdb(got, "reading a merkle strip");
    if (got.ok()) KAKITOME_RETURN_IF_ERROR(check_strip_size(strip.size()));
    return node_in_strip_or_alone(database, family, got.ok() ? strip.ToStringView() : "", level,
                                  index);
}

Result<std::optional<merkle::Hash>> StripWalker::node(unsigned level, std::uint64_t index) {
    if (levels_.size() <= level) levels_.resize(level + 1);
    Held& held = levels_[level];
    const std::uint64_t number = index / kStripWidth;
    if (held.number != number) {
        std::string hashes;
        auto got =
            database_.db()->Get(rocksdb::ReadOptions(), family_, strip_key(level, number), &hashes);
        if (!got.ok() && !got.IsNotFound()) return from_rocksdb(got, "reading a merkle strip");
        if (got.ok()) KAKITOME_RETURN_IF_ERROR(check_strip_size(hashes.size()));
        held.number = number;
        held.hashes = got.ok() ? std::move(hashes) : std::string();
    }
    return node_in_strip_or_alone(database_, family_, held.hashes, level, index);
}

Result<StripWriter> StripWriter::open(const Database& database, rocksdb::ColumnFamilyHandle* family,
                                      std::uint64_t size) {
    StripWriter writer(family);
    for (unsigned level = 0; (size >> level) != 0; ++level) {
        const std::uint64_t next = size >> level;  // nodes complete at this level
        Level state;
        state.open.number = next / kStripWidth;
        const std::size_t wanted = (next % kStripWidth) * kHashSize;
        // The strip in one read (a server extends after every few events, so this runs often);
        // then, for a tree stored before strips, the nodes it does not hold, one by one.
        if (wanted > 0) {
            rocksdb::PinnableSlice stored;
            auto got = database.db()->Get(rocksdb::ReadOptions(), family,
                                          strip_key(level, state.open.number), &stored);
            if (!got.ok() && !got.IsNotFound()) return from_rocksdb(got, "reading a merkle strip");
            if (got.ok()) {
                KAKITOME_RETURN_IF_ERROR(check_strip_size(stored.size()));
                state.open.hashes.assign(stored.data(), std::min(stored.size(), wanted));
            }
        }
        for (std::uint64_t index =
                 state.open.number * kStripWidth + state.open.hashes.size() / kHashSize;
             index < next; ++index) {
            auto node = read_single_node(database, family, level, index);
            if (!node.is_ok()) return node.status();
            if (!node.value())
                return Status::corruption("the stored tree has no node at level " +
                                          std::to_string(level) + " index " +
                                          std::to_string(index) + " below its size");
            state.open.hashes.append(reinterpret_cast<const char*>(node.value()->data()),
                                     kHashSize);
        }
        writer.levels_.push_back(std::move(state));
    }
    return writer;
}

Status StripWriter::put(unsigned level, std::uint64_t index, const merkle::Hash& hash) {
    if (levels_.size() <= level) levels_.resize(level + 1);
    Strip& open = levels_[level].open;
    const std::uint64_t next = open.number * kStripWidth + open.hashes.size() / kHashSize;
    if (index != next)
        return Status::internal("merkle node " + std::to_string(index) + " of level " +
                                std::to_string(level) + " put where node " + std::to_string(next) +
                                " was due");
    open.hashes.append(reinterpret_cast<const char*>(hash.data()), kHashSize);
    open.changed = true;
    if (open.hashes.size() == kStripWidth * kHashSize) {
        const std::uint64_t number = open.number;
        levels_[level].completed.push_back(std::move(open));
        open = Strip{.number = number + 1};
    }
    return Status::ok();
}

void StripWriter::write_to(rocksdb::WriteBatch& batch) {
    // Level by level, strips ascending: the keys' order, so each memtable insert lands next to
    // the previous one.
    for (unsigned level = 0; level < levels_.size(); ++level) {
        Level& state = levels_[level];
        for (const Strip& strip : state.completed)
            batch.Put(family_, strip_key(level, strip.number), strip.hashes);
        state.completed.clear();
        if (state.open.changed) {
            batch.Put(family_, strip_key(level, state.open.number), state.open.hashes);
            state.open.changed = false;
        }
    }
}

}  // namespace kakitome::tree_strips
