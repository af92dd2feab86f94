// SortedTable: rows of one column family, keys strictly increasing, written as a RocksDB table
// file in the database's staging folder, by any thread and without touching the database, then
// added to it in one step by Database::ingest. A bulk load (an index rebuilt over the whole log)
// so writes each row once, into the file it stays in, instead of through RocksDB's log, its
// memtable and a flush (docs/performance.md, "Index catch-up through table files").
// A table never ingested removes its file when destroyed; a process that died first leaves
// files that the next Database::open of the directory removes. Move-only.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "events/base/status.h"

namespace kakitome {

class Database;

class SortedTable {
  public:
    using Row = std::pair<std::string, std::string>;

    // invalid_argument when `rows` is empty or a key is not greater than the one before it;
    // failed_precondition on a read-only database; internal when the family is not open.
    static Result<SortedTable> write(const Database& database, std::string_view family,
                                     std::span<const Row> rows);

    SortedTable(SortedTable&& other) noexcept;
    SortedTable& operator=(SortedTable&& other) noexcept;
    SortedTable(const SortedTable&) = delete;
    SortedTable& operator=(const SortedTable&) = delete;
    ~SortedTable();

    const std::string& family() const { return family_; }
    const std::filesystem::path& path() const { return path_; }
    std::size_t rows() const { return rows_; }

  private:
    SortedTable(std::string family, std::filesystem::path path, std::size_t rows)
        : family_(std::move(family)), path_(std::move(path)), rows_(rows) {}
    void remove_file();

    std::string family_;
    std::filesystem::path path_;  // empty once moved from
    std::size_t rows_ = 0;
};

// While a long load ingests many tables whose keys interleave with stored ones (each lands in
// level 0), the family's level 0 is compacted once it holds `tables_per_compaction` tables
// instead of RocksDB's four: each such compaction rewrites the whole of level 1, so indexing
// 1 M events read the index's keys five times over (docs/performance.md). Writes are slowed
// and stopped at that count plus RocksDB's usual margins. finish() or try_finish() ends the
// load; a load destroyed unfinished restores the compaction trigger, and the slowdown and stop
// triggers only if level 0 is already below the family's own slowdown trigger (else they stay
// raised until the next Database::open sets every option anew, as after a crash). Move-only.
class BulkLoad {
  public:
    // failed_precondition on a read-only database; internal when the family is not open.
    static Result<BulkLoad> begin(const Database& database, std::string_view family,
                                  int tables_per_compaction);
    // Restores the family's compaction trigger, and its slowdown and stop triggers once RocksDB
    // has compacted level 0 back below the family's own slowdown trigger: true when the load
    // has ended (later calls do nothing and return true), false to be called again later.
    // Restored at once, up to tables_per_compaction - 1 tables left in level 0 would slow or
    // stop every later write of the family until compaction caught up. Never waits.
    Result<bool> try_finish();
    // try_finish() until it ends the load, waiting up to `patience` for compaction; the
    // triggers are restored when patience runs out too.
    Status finish(std::chrono::milliseconds patience = std::chrono::minutes(10));
    BulkLoad(BulkLoad&& other) noexcept;
    BulkLoad& operator=(BulkLoad&&) = delete;
    BulkLoad(const BulkLoad&) = delete;
    BulkLoad& operator=(const BulkLoad&) = delete;
    ~BulkLoad();

  private:
    // Puts every trigger back and ends the load.
    Status restore();
    BulkLoad(const Database* database, std::string family, std::array<int, 3> before,
             int tables_per_compaction)
        : database_(database),
          family_(std::move(family)),
          before_(before),
          tables_per_compaction_(tables_per_compaction) {}

    const Database* database_;  // nullptr once moved from or finished
    std::string family_;
    std::array<int, 3> before_;  // compaction, slowdown and stop triggers of level 0
    int tables_per_compaction_;
    bool compaction_restored_ = false;
};

// The folder inside a database directory where tables wait to be ingested.
std::filesystem::path staged_tables_directory(const std::filesystem::path& database_directory);

}  // namespace kakitome
