#include "events/database.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <stdlib.h>
#include <sys/resource.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <system_error>

#include "events/log_table_format.h"
#include "events/private_directory.h"
#include "events/rocksdb_status.h"
#include "events/storage_keys.h"

namespace kakitome {

namespace {

// What the memtables of all families may hold together (DBOptions::db_write_buffer_size).
constexpr std::size_t kMemtableBudgetBytes = std::size_t{128} << 20;

// RocksDB keeps every table file open (max_open_files -1), and an index catch-up written as
// tables adds up to two small bottom-level files per page of 10,000 events (docs/performance.md):
// the usual soft limit of 1,024 descriptors (a shell's, a systemd service's) would end in "Too
// many open files" before ten million events, while the hard limit (524,288 under systemd)
// allows far more.
void raise_open_file_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
    limit.rlim_cur = limit.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
}

// How every family's tables are read: through the database's one block cache, index blocks
// included. Left to RocksDB's defaults, each family had a cache of its own (8 MiB, more than a
// dozen families) and every open table kept its whole index outside any cache: memory that grew
// with the store (22 MiB at ten million events, about 220 MiB at a hundred million). Charged to
// the one cache, index blocks compete with data blocks for its capacity instead. The index is
// split into partitions of 4 KiB under a small top level, which stays pinned, so that a lookup
// brings one partition into the cache instead of a large table's whole index (the log, read in
// whole passes, keeps one index per table: events/log_table_format.h); level 0's index blocks,
// of the newest and most read tables, stay pinned too.
rocksdb::BlockBasedTableOptions table_options(const std::shared_ptr<rocksdb::Cache>& block_cache) {
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = block_cache;
    table.cache_index_and_filter_blocks = true;
    table.cache_index_and_filter_blocks_with_high_priority = true;
    table.pin_l0_filter_and_index_blocks_in_cache = true;
    table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
    return table;
}

// The log's family gets its own table format (events/log_table_format.h): large blocks for whole
// passes, each table stamped with the format it was written in.
rocksdb::ColumnFamilyOptions options_for_family(
    const std::string& name, const std::shared_ptr<rocksdb::Cache>& block_cache) {
    rocksdb::ColumnFamilyOptions options = Database::family_options();
    if (name == storage_keys::kEventsFamily) {
        use_log_table_format(options, table_options(block_cache));
    } else {
        options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options(block_cache)));
    }
    return options;
}

}  // namespace

rocksdb::ColumnFamilyOptions Database::family_options() {
    rocksdb::ColumnFamilyOptions options;
    // Events and stream indexes are read by key or short scans; a bloom filter is not worth it
    // for range keys, so default table options are kept. Level compaction suits append-only data.
    return options;
}

Result<std::shared_ptr<Database>> Database::open(const DatabaseOptions& options) {
    std::vector<std::string> names = {rocksdb::kDefaultColumnFamilyName,
                                      storage_keys::kEventsFamily, storage_keys::kStreamsFamily,
                                      storage_keys::kMetaFamily, storage_keys::kBlobsFamily};
    for (const auto& extra : options.extra_column_families) {
        if (std::find(names.begin(), names.end(), extra) == names.end()) names.push_back(extra);
    }

    raise_open_file_limit();
    rocksdb::DBOptions db_options;
    db_options.create_if_missing = !options.read_only;
    db_options.create_missing_column_families = !options.read_only;
    // Group commit: concurrent writers share one WAL write and fsync.
    db_options.enable_pipelined_write = false;
    db_options.max_background_jobs = 2;
    db_options.keep_log_file_num = 5;
    // One memtable budget for every family together. Each family would otherwise keep up to two
    // 64 MiB memtables of its own, and serve writes to more than a dozen (the log, its index,
    // the tree, the disclosure index, each read model): under a day of reads, each appending its
    // disclosure, serve's memory grew with them toward that sum. From seven eighths of the budget
    // RocksDB flushes, one family at a time, the one whose memtable is oldest; memtables still
    // being flushed count on top, so the total can pass the budget by those. An append-only load
    // still flushes the log's family at 64 MiB as before.
    db_options.db_write_buffer_size = kMemtableBudgetBytes;

    if (options.read_only && !std::filesystem::exists(options.directory / "CURRENT")) {
        return Status::not_found("no kakitome data in " + options.directory.string());
    }
    // The log, the sealed PII, the blobs and (in the demo layout) the keys live here: only the
    // service user may enter. RocksDB's files inside follow the process umask, which `kakitome`
    // sets to 077, so they are created 0600.
    if (!options.read_only) KAKITOME_RETURN_IF_ERROR(create_private_directory(options.directory));
    KAKITOME_RETURN_IF_ERROR(check_private_directory(options.directory));

    // RocksDB must be given every family on disk: open those (a projection's, the data keys)
    // whoever created them. A read-only open may add none.
    if (std::filesystem::exists(options.directory / "CURRENT")) {
        std::vector<std::string> existing;
        auto listed =
            rocksdb::DB::ListColumnFamilies(db_options, options.directory.string(), &existing);
        if (!listed.ok()) return from_rocksdb(listed, "listing column families");
        if (options.read_only) names.clear();
        for (const auto& name : existing) {
            if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
        }
    }

    // Half the cache is kept for index blocks (inserted with high priority): a pass or a burst of
    // data blocks read once cannot push them all out.
    rocksdb::LRUCacheOptions cache_options;
    cache_options.capacity = options.block_cache_bytes;
    cache_options.high_pri_pool_ratio = 0.5;
    const std::shared_ptr<rocksdb::Cache> block_cache = rocksdb::NewLRUCache(cache_options);
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& name : names)
        descriptors.emplace_back(name, options_for_family(name, block_cache));

    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    std::filesystem::path secondary;
    rocksdb::Status opened;
    if (options.read_only) {
        // A secondary instance must keep every table file open: the primary may delete files
        // (compaction) that the secondary still reads.
        db_options.max_open_files = -1;
        std::string pattern =
            (std::filesystem::temp_directory_path() / "kakitome-reader-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            return Status::io_error("cannot create a temporary folder for a read-only open");
        secondary = pattern;
        opened = rocksdb::DB::OpenAsSecondary(db_options, options.directory.string(),
                                              secondary.string(), descriptors, &handles, &raw);
        if (!opened.ok()) {
            std::error_code ignored;
            std::filesystem::remove_all(secondary, ignored);
        }
    } else {
        opened =
            rocksdb::DB::Open(db_options, options.directory.string(), descriptors, &handles, &raw);
    }
    if (!opened.ok()) return from_rocksdb(opened, "opening " + options.directory.string());
    if (!options.read_only) {
        // Tables a process staged and did not live to ingest (events/sorted_table.h): only once
        // RocksDB's lock is ours, so an open refused beside a running server removes nothing of
        // the server's.
        std::error_code ignored;
        std::filesystem::remove_all(staged_tables_directory(options.directory), ignored);
    }

    std::shared_ptr<Database> database(new Database());
    database->secondary_directory_ = secondary;
    database->db_ = raw;
    database->read_only_ = options.read_only;
    database->reserved_free_bytes_ = options.reserved_free_bytes;
    database->directory_ = options.directory;
    for (std::size_t i = 0; i < handles.size(); ++i) {
        database->families_.emplace_back(names[i], handles[i]);
    }
    database->events_ = database->family(storage_keys::kEventsFamily);
    database->streams_ = database->family(storage_keys::kStreamsFamily);
    database->meta_ = database->family(storage_keys::kMetaFamily);
    database->blobs_ = database->family(storage_keys::kBlobsFamily);
    if (!database->events_ || !database->streams_ || !database->meta_ || !database->blobs_) {
        return Status::corruption(options.directory.string() +
                                  " is a RocksDB directory without kakitome's column families");
    }
    return database;
}

Status Database::check_space(std::uint64_t incoming, WriteKind kind) const {
    struct statvfs info {};
    if (::statvfs(directory_.c_str(), &info) != 0) return Status::ok();  // cannot tell: write
    const std::uint64_t free_bytes =
        static_cast<std::uint64_t>(info.f_bavail) * static_cast<std::uint64_t>(info.f_frsize);
    const std::uint64_t reserve =
        kind == WriteKind::new_data ? reserved_free_bytes_ : reserved_free_bytes_ / 4;
    // What RocksDB holds in memtables must fit on disk too: it is flushed on close and on the
    // next open (WAL replay), and a flush that finds no room stops the store.
    std::uint64_t unflushed = 0;
    if (!db_->GetAggregatedIntProperty("rocksdb.cur-size-all-mem-tables", &unflushed))
        unflushed = 0;
    const bool room = free_bytes >= reserve + incoming + unflushed;
    if (room && write_failed_.load()) {
        // Space is back after a failed write: RocksDB stays stopped until resumed.
        if (db_->Resume().ok()) write_failed_ = false;
    }
    if (room && !write_failed_.load()) return Status::ok();
    return Status::resource_exhausted(
               "the disk holding " + directory_.string() + " has " + std::to_string(free_bytes) +
               " bytes free; kakitome needs " + std::to_string(reserve + incoming + unflushed) +
               " (a reserve of " + std::to_string(reserve) + ", " + std::to_string(unflushed) +
               " not yet flushed, " + std::to_string(incoming) +
               " to write) and refuses new data until there is room again (nothing was written)")
        .with_reason("storage_full");
}

void Database::note_write_failure(const Status& status) const {
    if (status.code() == StatusCode::io_error) write_failed_ = true;
}

rocksdb::ColumnFamilyHandle* Database::family(std::string_view name) const {
    for (const auto& [family_name, handle] : families_) {
        if (family_name == name) return handle;
    }
    return nullptr;
}

namespace {

Status no_family(std::string_view name) {
    return Status::internal("the column family " + std::string(name) + " is not open");
}

}  // namespace

Result<std::optional<std::string>> Database::get(std::string_view family_name,
                                                 std::string_view key) const {
    auto* handle = family(family_name);
    if (!handle) return no_family(family_name);
    std::string value;
    const auto got =
        db_->Get(rocksdb::ReadOptions(), handle, rocksdb::Slice(key.data(), key.size()), &value);
    if (got.IsNotFound()) return std::optional<std::string>();
    if (!got.ok()) return from_rocksdb(got, "reading " + std::string(family_name));
    return std::optional<std::string>(std::move(value));
}

Status Database::scan(
    std::string_view family_name, std::string_view from,
    const std::function<bool(std::string_view key, std::string_view value)>& visit,
    ScanKind kind) const {
    auto* handle = family(family_name);
    if (!handle) return no_family(family_name);
    rocksdb::ReadOptions options;
    options.verify_checksums = true;
    options.fill_cache = kind == ScanKind::lookup;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, handle));
    for (it->Seek(rocksdb::Slice(from.data(), from.size())); it->Valid(); it->Next()) {
        if (!visit(std::string_view(it->key().data(), it->key().size()),
                   std::string_view(it->value().data(), it->value().size())))
            break;
    }
    return from_rocksdb(it->status(), "reading " + std::string(family_name));
}

Status Database::compact_everything() const {
    for (const auto& [name, handle] : families_) {
        rocksdb::FlushOptions flush;
        flush.wait = true;
        if (auto flushed = db_->Flush(flush, handle); !flushed.ok())
            return from_rocksdb(flushed, "flushing " + name);
        if (auto compacted =
                db_->CompactRange(rocksdb::CompactRangeOptions(), handle, nullptr, nullptr);
            !compacted.ok())
            return from_rocksdb(compacted, "compacting " + name);
    }
    return Status::ok();
}

Status Database::write(const DatabaseBatch& batch) const {
    if (read_only_) return Status::failed_precondition("the database is open read-only");
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    handles.reserve(batch.families_.size());
    for (const auto& name : batch.families_) {
        handles.push_back(family(name));
        if (!handles.back()) return no_family(name);
    }
    rocksdb::WriteBatch writes(batch.bytes_.size() + 16 * batch.operations_.size());
    for (const auto& operation : batch.operations_) {
        auto* handle = handles[operation.family];
        rocksdb::Status status;
        switch (operation.kind) {
            case DatabaseBatch::Kind::put:
                status = writes.Put(handle, batch.key(operation), batch.value(operation));
                break;
            case DatabaseBatch::Kind::erase:
                status = writes.Delete(handle, batch.key(operation));
                break;
            case DatabaseBatch::Kind::erase_range:
                status = writes.DeleteRange(handle, batch.key(operation), batch.value(operation));
                break;
        }
        if (!status.ok()) return from_rocksdb(status, "preparing a write");
    }
    const Status written = from_rocksdb(db_->Write(rocksdb::WriteOptions(), &writes), "writing");
    note_write_failure(written);
    return written;
}

Status Database::ingest(std::vector<SortedTable>& tables) const {
    if (read_only_) return Status::failed_precondition("the database is open read-only");
    if (tables.empty()) return Status::ok();
    // One argument per family, in the order families first appear.
    std::vector<rocksdb::IngestExternalFileArg> arguments;
    for (const auto& table : tables) {
        auto* handle = family(table.family());
        if (!handle) return no_family(table.family());
        auto same = std::find_if(
            arguments.begin(), arguments.end(),
            [handle](const auto& argument) { return argument.column_family == handle; });
        if (same == arguments.end()) {
            same = arguments.emplace(arguments.end());
            same->column_family = handle;
            same->options.move_files = true;
            // Nothing older than this version reads the database, so the tables are not
            // rewritten to carry their sequence numbers (RocksDB's recommendation for new users).
            same->options.write_global_seqno = false;
        }
        same->external_files.push_back(table.path().string());
    }
    const Status ingested = from_rocksdb(db_->IngestExternalFiles(arguments), "ingesting tables");
    note_write_failure(ingested);
    return ingested;
}

Status Database::copy_to(const std::filesystem::path& directory) const {
    rocksdb::Checkpoint* raw = nullptr;
    KAKITOME_RETURN_IF_ERROR(from_rocksdb(rocksdb::Checkpoint::Create(db_, &raw), "copying"));
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    return from_rocksdb(checkpoint->CreateCheckpoint(directory.string()),
                        "copying to " + directory.string());
}

Status Database::catch_up() {
    if (!read_only_) return Status::ok();
    return from_rocksdb(db_->TryCatchUpWithPrimary(), "following the primary");
}

Database::~Database() {
    if (!db_) return;
    for (auto& [name, handle] : families_) {
        (void)db_->DestroyColumnFamilyHandle(handle);
    }
    (void)db_->Close();
    delete db_;
    if (!secondary_directory_.empty()) {
        std::error_code ignored;
        std::filesystem::remove_all(secondary_directory_, ignored);
    }
}

bool is_locked_by_another_process(const Status& status) {
    // RocksDB reports a held LOCK as an IO error "While lock file: DIR/LOCK: Resource
    // temporarily unavailable" (another process) or "lock hold by current process".
    const std::string& message = status.message();
    return message.find("LOCK") != std::string::npos &&
           (message.find("Resource temporarily unavailable") != std::string::npos ||
            message.find("lock hold by current process") != std::string::npos);
}

}  // namespace kakitome
