// Database owns one RocksDB instance and its column families: the store's four (events, streams,
// meta, blobs) plus any a projection asks for. Open it once per process and share it.
// Thread-safe: RocksDB handles are safe for concurrent use.
// Read-only mode opens a RocksDB *secondary* instance: it takes no lock, so the read-side
// command line (verify, events, queue, trail, proofs, who-saw, ...) works while `kakitome serve`
// holds the directory, and it sees everything the primary had flushed to its WAL when it opened
// (catch_up() follows later writes). Its own small state lives in a temporary folder removed on
// close. Writes to a read-only Database fail.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/base/status.h"
#include "events/database_batch.h"
#include "events/domain_types.h"
#include "events/sorted_table.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
struct ColumnFamilyOptions;
}  // namespace rocksdb

namespace kakitome {

struct DatabaseOptions {
    std::filesystem::path directory;
    bool read_only = false;
    std::vector<std::string> extra_column_families;  // created when missing
    // Writes of new data are refused while the file system holding the directory has less than
    // this free (see check_space): RocksDB aborts (an assertion in Debian's build) when it runs
    // out of space mid-write, so kakitome never lets it get there. The reserve leaves room for
    // the derived data (projections, tree, checkpoints) and for RocksDB's own flushes.
    std::uint64_t reserved_free_bytes = 64ull * 1024 * 1024;
    // The one block cache every family reads through: data blocks and the index blocks of every
    // open table (partitioned except the log's; the top level of each, and level 0's, stay
    // pinned in it), so that what reads keep in memory grows with the store only by what each
    // open table keeps beside it (a couple of kilobytes).
    std::size_t block_cache_bytes = std::size_t{64} << 20;
};
// open() creates a missing directory 0700 and refuses one open to group or others
// (events/private_directory.h).
// open() also raises the process's soft limit of open files to its hard limit: RocksDB keeps
// every table file open.

class Database {
  public:
    static Result<std::shared_ptr<Database>> open(const DatabaseOptions& options);
    // The options every column family starts from (the log's family is opened with 16 KiB table
    // blocks besides; options changed later with SetOptions, such as a bulk load's, last until
    // the next open).
    static rocksdb::ColumnFamilyOptions family_options();
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // The rest of kakitome reads and writes through these three, so that only events/ knows
    // RocksDB. A family not opened is internal, never "not found".
    // The value under `key`, nullopt when there is none.
    Result<std::optional<std::string>> get(std::string_view family, std::string_view key) const;
    // The pairs of a family in key order from `from` (inclusive) while `visit` returns true.
    // A full pass (the verifier, a benchmark) reads around the block cache so as not to evict
    // what serves requests. Damaged blocks are corruption.
    enum class ScanKind { lookup, full_pass };
    Status scan(std::string_view family, std::string_view from,
                const std::function<bool(std::string_view key, std::string_view value)>& visit,
                ScanKind kind = ScanKind::lookup) const;
    // Applies every operation of the batch or none. Fails on a read-only database.
    Status write(const DatabaseBatch& batch) const;
    bool has_family(std::string_view name) const { return family(name) != nullptr; }
    // Adds the tables, of one family or several, in one step: after a crash, and to a checkpoint
    // or a read-only reader, all are there or none (one MANIFEST record). Tables of one family
    // must not overlap one another. Their rows replace stored rows with the same keys. Each
    // lands in the lowest level where it overlaps nothing stored, so a table of keys after every
    // stored one goes straight to the bottom. The files are moved into the database. A caller's
    // position belongs in a table of the same call, not in a later write(): a checkpoint copies
    // the MANIFEST before the log, so it could hold that write without the tables.
    // Fails on a read-only database.
    Status ingest(std::vector<SortedTable>& tables) const;

    // For events/ only (the store, blobs, data keys, the ledger): RocksDB itself.
    rocksdb::DB* db() const { return db_; }
    // nullptr when the family was not opened.
    rocksdb::ColumnFamilyHandle* family(std::string_view name) const;
    rocksdb::ColumnFamilyHandle* events() const { return events_; }
    rocksdb::ColumnFamilyHandle* streams() const { return streams_; }
    rocksdb::ColumnFamilyHandle* meta() const { return meta_; }
    rocksdb::ColumnFamilyHandle* blobs() const { return blobs_; }
    bool read_only() const { return read_only_; }
    // Before a write of `incoming` bytes of new data (an append, a blob): resource_exhausted
    // with reason storage_full while free space minus `incoming` is below the reserve, or while
    // an earlier write failed and RocksDB has not resumed. Nothing is written then; reads keep
    // working; once space is back the next call resumes RocksDB (DB::Resume) and writes go on,
    // without a restart. Cheap (one statvfs).
    // Records (events: a command, a PiiDisclosed) may use the last three quarters of the
    // reserve that new data (mail, blobs) may not: when mail is refused, staff can still work
    // and every read of PII can still be recorded.
    enum class WriteKind { new_data, record };
    Status check_space(std::uint64_t incoming, WriteKind kind = WriteKind::new_data) const;
    // Records a failed write's RocksDB status: an I/O error (no space) makes check_space refuse
    // until RocksDB has resumed.
    void note_write_failure(const Status& status) const;
    // Read-only: follows the primary's writes since open (RocksDB TryCatchUpWithPrimary).
    Status catch_up();
    // A consistent copy of the whole database in `directory` (which must not exist), made with
    // hard links where the file system allows (RocksDB Checkpoint).
    Status copy_to(const std::filesystem::path& directory) const;
    const std::filesystem::path& directory() const { return directory_; }
    // Flushes every family's memtable and compacts it fully, waiting for both: a benchmark then
    // measures reads of a settled tree, not one a background compaction is still rewriting.
    Status compact_everything() const;

  private:
    Database() = default;
    rocksdb::DB* db_ = nullptr;
    std::vector<std::pair<std::string, rocksdb::ColumnFamilyHandle*>> families_;
    rocksdb::ColumnFamilyHandle* events_ = nullptr;
    rocksdb::ColumnFamilyHandle* streams_ = nullptr;
    rocksdb::ColumnFamilyHandle* meta_ = nullptr;
    rocksdb::ColumnFamilyHandle* blobs_ = nullptr;
    bool read_only_ = false;
    std::uint64_t reserved_free_bytes_ = 0;
    mutable std::atomic<bool> write_failed_{false};
    std::filesystem::path directory_;
    std::filesystem::path secondary_directory_;  // the secondary instance's own files
};

// True when `status` says another process holds the directory's lock (a running server).
bool is_locked_by_another_process(const Status& status);

}  // namespace kakitome
