#include "events/sorted_table.h"

#include <unistd.h>

#include <atomic>
#include <system_error>
#include <thread>

#include <rocksdb/db.h>
#include <rocksdb/sst_file_writer.h>

#include "events/database.h"
#include "events/rocksdb_status.h"

namespace kakitome {

namespace {

// The family a table is written for or a bulk load tunes: both change the database.
Result<rocksdb::ColumnFamilyHandle*> writable_family(const Database& database,
                                                     std::string_view family) {
    if (database.read_only()) return Status::failed_precondition("the database is open read-only");
    auto* handle = database.family(family);
    if (!handle) return Status::internal("column family " + std::string(family) + " is not open");
    return handle;
}

}  // namespace

std::filesystem::path staged_tables_directory(const std::filesystem::path& database_directory) {
    return database_directory / "staged-tables";
}

Result<SortedTable> SortedTable::write(const Database& database, std::string_view family,
                                       std::span<const Row> rows) {
    auto handle = writable_family(database, family);
    if (!handle.is_ok()) return handle.status();
    const auto directory = staged_tables_directory(database.directory());
    std::error_code created;
    std::filesystem::create_directory(directory, created);
    if (created)
        return Status::io_error("creating " + directory.string() + ": " + created.message());
    // Tables are written by several threads at once, and a name is never reused in a process.
    static std::atomic<std::uint64_t> next_number{0};
    const auto path = directory / (std::to_string(::getpid()) + "-" +
                                   std::to_string(next_number.fetch_add(1)) + ".sst");
    // The family's own options: the table must be in the format the family reads.
    const rocksdb::Options options(database.db()->GetDBOptions(),
                                   database.db()->GetOptions(handle.value()));
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options, handle.value());
    SortedTable table(std::string(family), path, rows.size());
    KAKITOME_RETURN_IF_ERROR(from_rocksdb(writer.Open(path.string()), "opening " + path.string()));
    // RocksDB refuses keys out of order or repeated, and a table without rows (invalid argument).
    // The message is built only for a failure: built for every row, it cost a tenth of writing.
    for (const auto& [key, value] : rows)
        if (const rocksdb::Status put = writer.Put(key, value); !put.ok())
            return from_rocksdb(put, "writing " + path.string());
    KAKITOME_RETURN_IF_ERROR(from_rocksdb(writer.Finish(), "finishing " + path.string()));
    return table;
}

namespace {

// A load's slowdown and stop triggers: RocksDB's default margins above the compaction trigger,
// 16 more to slow, 32 to stop.
int slowdown_during(int tables_per_compaction) {
    return tables_per_compaction + 16;
}
int stop_during(int tables_per_compaction) {
    return tables_per_compaction + 32;
}

Status set_level0_triggers(const Database& database, std::string_view family,
                           const std::array<int, 3>& triggers) {
    return from_rocksdb(database.db()->SetOptions(
                            database.family(family),
                            {{"level0_file_num_compaction_trigger", std::to_string(triggers[0])},
                             {"level0_slowdown_writes_trigger", std::to_string(triggers[1])},
                             {"level0_stop_writes_trigger", std::to_string(triggers[2])}}),
                        "setting the level 0 triggers of " + std::string(family));
}

}  // namespace

Result<BulkLoad> BulkLoad::begin(const Database& database, std::string_view family,
                                 int tables_per_compaction) {
    auto handle = writable_family(database, family);
    if (!handle.is_ok()) return handle.status();
    // The triggers the family was opened with, not its current ones: a load let go earlier in
    // this process may have left those raised (BulkLoad's destructor).
    const auto options = Database::family_options();
    const std::array<int, 3> before = {options.level0_file_num_compaction_trigger,
                                       options.level0_slowdown_writes_trigger,
                                       options.level0_stop_writes_trigger};
    KAKITOME_RETURN_IF_ERROR(
        set_level0_triggers(database, family,
                            {tables_per_compaction, slowdown_during(tables_per_compaction),
                             stop_during(tables_per_compaction)}));
    return BulkLoad(&database, std::string(family), before, tables_per_compaction);
}

BulkLoad::BulkLoad(BulkLoad&& other) noexcept
    : database_(other.database_),
      family_(std::move(other.family_)),
      before_(other.before_),
      tables_per_compaction_(other.tables_per_compaction_),
      compaction_restored_(other.compaction_restored_) {
    other.database_ = nullptr;
}

Result<bool> BulkLoad::try_finish() {
    if (!database_) return true;
    const Database& database = *database_;
    // Only compaction comes back first: level 0 then shrinks while writes go on unslowed.
    if (!compaction_restored_) {
        KAKITOME_RETURN_IF_ERROR(
            set_level0_triggers(database, family_,
                                {before_[0], slowdown_during(tables_per_compaction_),
                                 stop_during(tables_per_compaction_)}));
        compaction_restored_ = true;
    }
    std::string tables;
    if (!database.db()->GetProperty(database.family(family_), "rocksdb.num-files-at-level0",
                                    &tables))
        return Status::internal("RocksDB does not count level 0's tables");
    if (std::stoi(tables) >= before_[1]) return false;
    KAKITOME_RETURN_IF_ERROR(restore());
    return true;
}

Status BulkLoad::restore() {
    // Over only once restored: a failed restore is tried again by the next call or the destructor.
    KAKITOME_RETURN_IF_ERROR(set_level0_triggers(*database_, family_, before_));
    database_ = nullptr;
    return Status::ok();
}

Status BulkLoad::finish(std::chrono::milliseconds patience) {
    const auto give_up = std::chrono::steady_clock::now() + patience;
    for (;;) {
        auto ended = try_finish();
        if (!ended.is_ok()) return ended.status();
        if (ended.value()) return Status::ok();
        if (std::chrono::steady_clock::now() >= give_up) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return restore();
}

BulkLoad::~BulkLoad() {
    // Ended now, with level 0 still full, the family's own stop trigger would stop every write of
    // the database until compaction caught up. Compaction comes back at once; the slowdown and
    // stop triggers only when level 0 is small enough already, else at the next open (which sets
    // every option anew). A failure leaves them raised too: slower reads, nothing lost.
    (void)try_finish();
}

SortedTable::SortedTable(SortedTable&& other) noexcept
    : family_(std::move(other.family_)), path_(std::move(other.path_)), rows_(other.rows_) {
    other.path_.clear();
}

SortedTable& SortedTable::operator=(SortedTable&& other) noexcept {
    if (this != &other) {
        remove_file();
        family_ = std::move(other.family_);
        path_ = std::move(other.path_);
        rows_ = other.rows_;
        other.path_.clear();
    }
    return *this;
}

SortedTable::~SortedTable() {
    remove_file();
}

void SortedTable::remove_file() {
    if (path_.empty()) return;
    // After an ingestion RocksDB has moved the file already; otherwise it was never added.
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
    path_.clear();
}

}  // namespace kakitome
