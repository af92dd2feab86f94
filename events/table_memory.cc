#include "events/table_memory.h"

#include <rocksdb/db.h>

namespace kakitome {

Result<TableMemory> table_memory(const Database& database, std::span<const std::string> families) {
    TableMemory total;
    for (const auto& name : families) {
        rocksdb::ColumnFamilyHandle* family = database.family(name);
        if (family == nullptr) return Status::not_found("no column family " + name);
        std::uint64_t readers = 0, files = 0;
        if (!database.db()->GetIntProperty(family, "rocksdb.estimate-table-readers-mem",
                                           &readers) ||
            !database.db()->GetIntProperty(family, "rocksdb.total-sst-files-size", &files))
            return Status::internal("RocksDB does not report the tables of " + name);
        total.table_readers_bytes += readers;
        total.table_file_bytes += files;
    }
    return total;
}

}  // namespace kakitome
