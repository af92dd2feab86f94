// How the log's column family stores its table files.
//
// The log is read mostly in whole passes (a verifying replay, a projection's first fold, the
// disclosure index's catch-up, the ledger, an export), so its tables are written in 16 KiB blocks
// instead of RocksDB's 4 KiB. Every table the family writes is stamped with the block size it was
// written in (a user-collected table property). A table without the stamp was written by an older
// kakitome (in 4 KiB blocks, or in 16 KiB blocks by the build of 2026-11-29 that had them before
// the stamp, which a rewrite then rewrites once for nothing) and stays so until it is rewritten
// (events/log_table_rewrite.h): the log's keys only grow, so level compaction moves its files
// down without rewriting them.
#pragma once

#include <cstddef>

namespace rocksdb {
struct BlockBasedTableOptions;
struct ColumnFamilyOptions;
struct TableProperties;
}  // namespace rocksdb

namespace kakitome {

inline constexpr std::size_t kLogBlockBytes = 16 * 1024;

// Gives `options` the log's table format: the database's table options `table` (its block cache)
// with the log's block size and one index per table (not partitions), and the stamp on every
// table written.
void use_log_table_format(rocksdb::ColumnFamilyOptions& options,
                          rocksdb::BlockBasedTableOptions table);

// True when the table carries the stamp of the current format.
bool is_in_current_log_format(const rocksdb::TableProperties& table);

}  // namespace kakitome
