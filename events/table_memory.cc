#include "events/table_memory.h"

#include <rocksdb/db.h>

#include <string>
#include <vector>

#include "events/rocksdb_status.h"

namespace kakitome {

Result<TableMemory> table_memory(const Database& database) {
    // The families are those the directory lists (its MANIFEST) that this database has open, so
    // a family added to the store is counted without a list here to keep in step.
    std::vector<std::string> names;
    KAKITOME_RETURN_IF_ERROR(
        from_rocksdb(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(),
                                                     database.directory().string(), &names),
                     "listing the column families of " + database.directory().string()));
    TableMemory total;
    for (const auto& name : names) {
        rocksdb::ColumnFamilyHandle* family = database.family(name);
        if (family == nullptr) continue;
        std::uint64_t readers = 0, files = 0;
        if (!database.db()->GetIntProperty(family, "rocksdb.estimate-table-readers-mem",
                                           &readers) ||
            !database.db()->GetIntProperty(family, "rocksdb.total-sst-files-size", &files))
            return Status::internal("RocksDB does not report the tables of " + name);
        total.table_readers_bytes += readers;
        total.table_file_bytes += files;
    }
    // Every family reads through the same cache (events/database.h): any one of them tells.
    if (!database.db()->GetIntProperty(database.events(), "rocksdb.block-cache-capacity",
                                       &total.block_cache_capacity_bytes) ||
        !database.db()->GetIntProperty(database.events(), "rocksdb.block-cache-usage",
                                       &total.block_cache_usage_bytes) ||
        !database.db()->GetIntProperty(database.events(), "rocksdb.block-cache-pinned-usage",
                                       &total.block_cache_pinned_bytes))
        return Status::internal("RocksDB does not report the block cache");
    if (!database.db()->GetAggregatedIntProperty("rocksdb.cur-size-all-mem-tables",
                                                 &total.memtable_bytes))
        return Status::internal("RocksDB does not report its memtables");
    return total;
}

}  // namespace kakitome
