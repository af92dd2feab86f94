// What a database's table files take on disk and what their open readers keep in memory outside
// the block cache (index and filter blocks: every table stays open), summed over every column
// family the database has open: the part of a process's memory that grows with the store
// (docs/operations.md, "Memory to plan for"). An error when RocksDB cannot say.
#pragma once

#include <cstdint>

#include "events/base/status.h"
#include "events/database.h"

namespace kakitome {

struct TableMemory {
    std::uint64_t table_readers_bytes = 0;
    std::uint64_t table_file_bytes = 0;
};

Result<TableMemory> table_memory(const Database& database);

}  // namespace kakitome
