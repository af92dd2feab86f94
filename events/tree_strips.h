// How the ledger's Merkle tree lies in the `merkle` column family (docs/design.md §3).
//
// The complete subtrees of one level are stored in strips of kStripWidth consecutive hashes
// under one key ("t", level, strip number big-endian); a strip grows in place until it is full.
// Reading a node is one Get and a 32-byte slice; extending the tree writes one key per 256
// nodes instead of one per node (a key per node made the writes cost more than the hashing).
// Trees stored before strips (one key per node: level, index) stay readable: a node its strip
// does not hold is looked up under its own key, and the first extension copies the partly
// filled strips at the right edge into strips.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "events/database.h"
#include "events/merkle.h"

namespace rocksdb {
class WriteBatch;
}  // namespace rocksdb

namespace kakitome::tree_strips {

inline constexpr std::uint64_t kStripWidth = 256;

// The key of strip `strip` of `level`: nodes [strip·256, strip·256 + 256) of that level.
std::string strip_key(unsigned level, std::uint64_t strip);
// The key one node had before strips (level byte, index big-endian).
std::string single_node_key(unsigned level, std::uint64_t index);

// The complete subtree (level, index) as stored; nullopt when neither its strip nor a key of
// its own holds it. `family` is the merkle column family of `database`.
Result<std::optional<merkle::Hash>> read_node(const Database& database,
                                              rocksdb::ColumnFamilyHandle* family, unsigned level,
                                              std::uint64_t index);

// read_node for a walk that reads each level's nodes in rising index order (an audit of the whole
// tree): each level's current strip is read once and kept until the walk leaves it, instead of
// one Get per node. Answers exactly as read_node does.
class StripWalker {
  public:
    StripWalker(const Database& database, rocksdb::ColumnFamilyHandle* family)
        : database_(database), family_(family) {}
    Result<std::optional<merkle::Hash>> node(unsigned level, std::uint64_t index);

  private:
    struct Held {
        std::optional<std::uint64_t> number;  // the strip held, if any
        std::string hashes;                   // its bytes; empty when it is not stored
    };
    const Database& database_;
    rocksdb::ColumnFamilyHandle* family_;
    std::vector<Held> levels_;
};

// Collects the nodes an extension adds, each level's in index order and without gaps from the
// tree's size on, and writes the strips they touched into a batch.
class StripWriter {
  public:
    // Starts at a tree of `size` leaves: loads the partly filled strip of every level, so that
    // rewriting it keeps the nodes it already holds.
    static Result<StripWriter> open(const Database& database, rocksdb::ColumnFamilyHandle* family,
                                    std::uint64_t size);

    // internal error when (level, index) is not the next node of its level.
    Status put(unsigned level, std::uint64_t index, const merkle::Hash& hash);
    // Puts every strip changed since the last call into `batch`, in key order; full strips are
    // then forgotten.
    void write_to(rocksdb::WriteBatch& batch);

  private:
    struct Strip {
        std::uint64_t number = 0;
        std::string hashes;  // 32 bytes each, from the strip's first node on
        bool changed = false;
    };
    struct Level {
        Strip open;                    // the strip the next node goes to
        std::vector<Strip> completed;  // filled since the last write_to
    };
    explicit StripWriter(rocksdb::ColumnFamilyHandle* family) : family_(family) {}
    rocksdb::ColumnFamilyHandle* family_;
    std::vector<Level> levels_;
};

}  // namespace kakitome::tree_strips
