// The RFC 9162 Merkle tree over the log (docs/design.md §3): leaf hash SHA-256(0x00 || event
// hash), node hash SHA-256(0x01 || left || right), the tree over the first `size` leaves split
// at the largest power of two below `size`. Proof generation reads complete subtrees through
// a NodeSource; verification needs nothing but the proof. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "events/base/sha256.h"
#include "events/base/status.h"

namespace kakitome::merkle {

using Hash = Sha256Digest;

Hash leaf_hash(const std::uint8_t* data, std::size_t size);
inline Hash leaf_hash(const Hash& entry) {
    return leaf_hash(entry.data(), entry.size());
}
Hash node_hash(const Hash& left, const Hash& right);
Hash empty_root();  // SHA-256 of the empty string

// The hash of the complete subtree at `level` (2^level leaves) number `index`, i.e. leaves
// [index·2^level, (index+1)·2^level). Must exist (the caller asks only for stored ones).
using NodeSource = std::function<Result<Hash>(unsigned level, std::uint64_t index)>;

// The root of leaves [begin, end) (begin aligned as the tree structure makes it).
Result<Hash> range_hash(const NodeSource& nodes, std::uint64_t begin, std::uint64_t end);
Result<Hash> root(const NodeSource& nodes, std::uint64_t size);
// RFC 9162 2.1.3.1 / 2.1.4.1. index < size; 0 < first <= second.
Result<std::vector<Hash>> inclusion_proof(const NodeSource& nodes, std::uint64_t index,
                                          std::uint64_t size);
Result<std::vector<Hash>> consistency_proof(const NodeSource& nodes, std::uint64_t first,
                                            std::uint64_t second);

// RFC 9162 2.1.3.2 / 2.1.4.2, with transparency-dev's rules: first == second needs an empty proof
// and equal roots; first == 0 proves nothing and fails.
// corruption with a reason naming what failed.
Status verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf,
                        const std::vector<Hash>& proof, const Hash& root);
Status verify_consistency(std::uint64_t first, std::uint64_t second, const std::vector<Hash>& proof,
                          const Hash& first_root, const Hash& second_root);

// Leaves held in memory, with every complete subtree computed: for tests and for verifying an
// export without a database.
class MemoryTree {
  public:
    void append(const Hash& leaf);
    std::uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }
    NodeSource nodes() const;
    Result<Hash> root(std::uint64_t size) const { return merkle::root(nodes(), size); }

  private:
    std::vector<std::vector<Hash>> levels_;  // levels_[k][i]: complete subtree k, i
};

}  // namespace kakitome::merkle
