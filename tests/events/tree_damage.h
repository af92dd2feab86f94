// Damage to the stored Merkle tree, as someone with the disk could do it: for the tests that
// check it is found (verify) or refused (signing).
#pragma once

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <string>

#include "events/tree_strips.h"

namespace kakitome::testing {

// Flips `mask` in byte `byte` of the stored node (level, index) inside its strip.
inline void flip_stored_tree_node(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* merkle,
                                  unsigned level, std::uint64_t index, std::size_t byte,
                                  char mask) {
    const std::string key = tree_strips::strip_key(level, index / tree_strips::kStripWidth);
    std::string strip;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), merkle, key, &strip).ok());
    const std::size_t offset = (index % tree_strips::kStripWidth) * sizeof(merkle::Hash) + byte;
    ASSERT_LT(offset, strip.size());
    strip[offset] = static_cast<char>(strip[offset] ^ mask);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), merkle, key, strip).ok());
}

}  // namespace kakitome::testing
