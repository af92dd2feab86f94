#include "events/table_memory.h"

#include <rocksdb/db.h>

namespace kakitome {

Result<TableMemory> table_memory(const Database& database) {
    // Summed by RocksDB over every family it has open, from what it holds in memory: no list of
    // families here to keep in step, and no read of the MANIFEST (/metrics asks on every scrape).
    TableMemory total;
    if (!database.db()->GetAggregatedIntProperty("rocksdb.estimate-table-readers-mem",
                                                 &total.table_readers_bytes) ||
        !database.db()->GetAggregatedIntProperty("rocksdb.total-sst-files-size",
                                                 &total.table_file_bytes) ||
        !database.db()->GetAggregatedIntProperty("rocksdb.cur-size-all-mem-tables",
                                                 &total.memtable_bytes))
        return Status::internal("RocksDB does not report its tables and memtables");
    // Every family reads through the same cache (events/database.h): any one of them tells.
    if (!database.db()->GetIntProperty(database.events(), "rocksdb.block-cache-capacity",
                                       &total.block_cache_capacity_bytes) ||
        !database.db()->GetIntProperty(database.events(), "rocksdb.block-cache-usage",
                                       &total.block_cache_usage_bytes) ||
        !database.db()->GetIntProperty(database.events(), "rocksdb.block-cache-pinned-usage",
                                       &total.block_cache_pinned_bytes))
        return Status::internal("RocksDB does not report the block cache");
    return total;
}

}  // namespace kakitome
