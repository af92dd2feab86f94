// What a database's table files take on disk and what RocksDB keeps in memory for them: the one
// block cache every column family reads through (data blocks, and the index blocks of every open
// table), what open tables keep outside it, and the memtables not yet flushed, summed over every
// family the database has open (docs/operations.md, "Memory to plan for"). An error when RocksDB
// cannot say.
#pragma once

#include <cstdint>

#include "events/base/status.h"
#include "events/database.h"

namespace kakitome {

struct TableMemory {
    std::uint64_t table_readers_bytes = 0;  // outside the block cache
    std::uint64_t table_file_bytes = 0;
    std::uint64_t block_cache_capacity_bytes = 0;
    std::uint64_t block_cache_usage_bytes = 0;  // of which pinned below
    std::uint64_t block_cache_pinned_bytes = 0;
    std::uint64_t memtable_bytes = 0;
};

Result<TableMemory> table_memory(const Database& database);

}  // namespace kakitome
