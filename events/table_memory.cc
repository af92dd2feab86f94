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
    return total;
}

}  // namespace kakitome
