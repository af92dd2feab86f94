// SortedTable and Database::ingest: rows written to a table file off the database come back
// from it once ingested and replace stored rows with the same keys; rows out of order, repeated
// or none are refused; a table never ingested leaves no file, nor does a process that died
// with tables staged (the next open removes them); a table after every stored key goes to the
// bottom level, one overlapping stored rows above them; a bulk load raises the family's level 0
// triggers and puts them back when it ends.
#include "events/sorted_table.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <sys/resource.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "events/database.h"
#include "events/storage_keys.h"
#include "events/test_store.h"

namespace kakitome {
namespace {

constexpr const char* kFamily = "rows";

class SortedTables : public ::testing::Test {
  protected:
    void SetUp() override { open(); }
    void TearDown() override {
        database_.reset();
        std::filesystem::remove_all(directory_);
    }
    void open() {
        database_.reset();
        database_ =
            Database::open({.directory = directory_, .extra_column_families = {kFamily}}).value();
    }
    std::string value_of(const std::string& key) {
        auto value = database_->get(kFamily, key);
        EXPECT_TRUE(value.is_ok());
        return value.is_ok() && value->has_value() ? **value : "(none)";
    }
    int files_at_level(int level) {
        std::string count;
        EXPECT_TRUE(database_->db()->GetProperty(
            database_->family(kFamily), "rocksdb.num-files-at-level" + std::to_string(level),
            &count));
        return std::stoi(count);
    }
    Status ingest_rows(std::vector<SortedTable::Row> rows) {
        auto table = SortedTable::write(*database_, kFamily, rows);
        if (!table.is_ok()) return table.status();
        std::vector<SortedTable> tables;
        tables.push_back(std::move(table).value());
        return database_->ingest(tables);
    }

    std::filesystem::path directory_ = testing::fresh_directory("tables");
    std::shared_ptr<Database> database_;
};

TEST_F(SortedTables, IngestedRowsAreReadBackAndReplaceStoredOnes) {
    DatabaseBatch batch;
    batch.put(kFamily, "b", "stored");
    batch.put(kFamily, "d", "stored");
    ASSERT_TRUE(database_->write(batch).is_ok());
    const std::vector<SortedTable::Row> rows = {{"a", "1"}, {"b", "2"}, {"c", "3"}};
    auto table = SortedTable::write(*database_, kFamily, rows);
    ASSERT_TRUE(table.is_ok()) << table.status().message();
    EXPECT_EQ(table->rows(), 3u);
    const auto path = table->path();
    EXPECT_EQ(path.parent_path(), staged_tables_directory(directory_));
    std::vector<SortedTable> tables;
    tables.push_back(std::move(table).value());
    ASSERT_TRUE(database_->ingest(tables).is_ok());
    EXPECT_EQ(value_of("a"), "1");
    EXPECT_EQ(value_of("b"), "2");
    EXPECT_EQ(value_of("c"), "3");
    EXPECT_EQ(value_of("d"), "stored");
    EXPECT_FALSE(std::filesystem::exists(path)) << "moved into the database";
    // The rows outlive a reopen: they are in the database's own files now.
    tables.clear();
    open();
    EXPECT_EQ(value_of("b"), "2");
}

TEST_F(SortedTables, RowsOutOfOrderRepeatedOrNoneAreRefused) {
    for (const auto& rows : std::vector<std::vector<SortedTable::Row>>{
             {{"b", "1"}, {"a", "2"}}, {{"a", "1"}, {"a", "2"}}, {}}) {
        auto table = SortedTable::write(*database_, kFamily, rows);
        EXPECT_EQ(table.status().code(), StatusCode::invalid_argument) << rows.size();
    }
    EXPECT_EQ(SortedTable::write(*database_, "no such family", {}).status().code(),
              StatusCode::internal);
    // Nothing refused is left behind.
    EXPECT_TRUE(std::filesystem::is_empty(staged_tables_directory(directory_)));
}

TEST_F(SortedTables, ATableNeverIngestedLeavesNoFile) {
    const std::vector<SortedTable::Row> rows = {{"a", "1"}};
    std::filesystem::path path;
    {
        auto table = SortedTable::write(*database_, kFamily, rows);
        ASSERT_TRUE(table.is_ok());
        path = table->path();
        EXPECT_TRUE(std::filesystem::exists(path));
        SortedTable moved = std::move(table).value();
        EXPECT_TRUE(std::filesystem::exists(path)) << "a move keeps the file";
    }
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_EQ(value_of("a"), "(none)");
}

TEST_F(SortedTables, TablesStagedByAProcessThatDiedAreRemovedOnOpen) {
    const auto staged = staged_tables_directory(directory_);
    std::filesystem::create_directory(staged);
    std::ofstream(staged / "4242-0.sst") << "half a table";
    // An open refused by the lock of a database in use (a command beside `serve`) removes
    // nothing: the tables may be the running process's.
    EXPECT_FALSE(Database::open({.directory = directory_}).is_ok());
    EXPECT_TRUE(std::filesystem::exists(staged / "4242-0.sst"));
    open();
    EXPECT_FALSE(std::filesystem::exists(staged / "4242-0.sst"));
}

TEST_F(SortedTables, ATableAfterEveryStoredKeyGoesToTheBottomLevel) {
    const int bottom = database_->db()->NumberLevels(database_->family(kFamily)) - 1;
    ASSERT_TRUE(ingest_rows({{"a", "1"}, {"c", "1"}}).is_ok());
    ASSERT_TRUE(ingest_rows({{"d", "1"}, {"e", "1"}}).is_ok());
    EXPECT_EQ(files_at_level(bottom), 2);
    // Overlapping a stored table, a table lies above it: its rows are the newer ones.
    ASSERT_TRUE(ingest_rows({{"b", "2"}, {"c", "2"}}).is_ok());
    EXPECT_EQ(files_at_level(bottom), 2);
    EXPECT_EQ(files_at_level(bottom - 1), 1);
    EXPECT_EQ(value_of("c"), "2");
}

// Every table stays open (RocksDB's max_open_files -1), and a long catch-up adds a hundred per
// million events: opening a database lifts the soft limit of open files to the hard one.
TEST_F(SortedTables, OpeningADatabaseRaisesTheSoftLimitOfOpenFiles) {
    rlimit limit{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
    if (limit.rlim_max <= 256) GTEST_SKIP() << "the hard limit leaves nothing to raise";
    const rlimit lowered{256, limit.rlim_max};
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
    open();
    rlimit after{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &after), 0);
    EXPECT_EQ(after.rlim_cur, limit.rlim_max);
}

TEST_F(SortedTables, AReadOnlyDatabaseTakesNoTable) {
    ASSERT_TRUE(ingest_rows({{"a", "1"}}).is_ok());
    auto reader = Database::open({.directory = directory_, .read_only = true}).value();
    const std::vector<SortedTable::Row> rows = {{"b", "1"}};
    EXPECT_EQ(SortedTable::write(*reader, kFamily, rows).status().code(),
              StatusCode::failed_precondition);
    std::vector<SortedTable> none;
    EXPECT_EQ(reader->ingest(none).code(), StatusCode::failed_precondition);
}

TEST_F(SortedTables, ABulkLoadRaisesTheLevel0TriggersUntilItEnds) {
    const auto triggers = [this] {
        const auto options = database_->db()->GetOptions(database_->family(kFamily));
        return std::vector<int>{options.level0_file_num_compaction_trigger,
                                options.level0_slowdown_writes_trigger,
                                options.level0_stop_writes_trigger};
    };
    const auto before = triggers();
    EXPECT_EQ(before, (std::vector<int>{4, 20, 36})) << "RocksDB's defaults";
    std::optional<BulkLoad> moved;
    {
        auto load = BulkLoad::begin(*database_, kFamily, 64);
        ASSERT_TRUE(load.is_ok()) << load.status().message();
        EXPECT_EQ(triggers(), (std::vector<int>{64, 80, 96}));
        moved.emplace(std::move(load).value());
    }
    EXPECT_EQ(triggers(), (std::vector<int>{64, 80, 96})) << "the moved-from one ended nothing";
    moved.reset();
    EXPECT_EQ(triggers(), before);
    EXPECT_EQ(BulkLoad::begin(*database_, "no such family", 64).status().code(),
              StatusCode::internal);
}

// A load that ends with many tables in level 0 lets compaction bring them below the family's
// slowdown trigger before restoring it: restored at once, 30 tables would slow every write of
// the family (and 36 would stop them) until compaction caught up.
TEST_F(SortedTables, AFinishedBulkLoadLeavesLevel0BelowItsSlowdownTrigger) {
    auto load = BulkLoad::begin(*database_, kFamily, 64);
    ASSERT_TRUE(load.is_ok()) << load.status().message();
    // Each table overlaps the others: the first six fill levels 6 to 1, the rest stay in 0.
    // Enough rows that compacting them takes a while (a mutant that does not wait must lose).
    for (int i = 0; i < 36; ++i) {
        std::vector<SortedTable::Row> rows;
        for (int key = 0; key < 5000; ++key)
            rows.emplace_back("k" + std::to_string(100000 + key), std::string(100, 'v'));
        rows.emplace_back("z", std::to_string(i));
        ASSERT_TRUE(ingest_rows(std::move(rows)).is_ok());
    }
    ASSERT_EQ(files_at_level(0), 30);
    ASSERT_TRUE(load->finish().is_ok());
    EXPECT_LT(files_at_level(0), 20);
    const auto options = database_->db()->GetOptions(database_->family(kFamily));
    EXPECT_EQ(options.level0_file_num_compaction_trigger, 4);
    EXPECT_EQ(options.level0_slowdown_writes_trigger, 20);
    EXPECT_EQ(options.level0_stop_writes_trigger, 36);
    EXPECT_EQ(value_of("z"), "35");
    EXPECT_TRUE(load->finish().is_ok()) << "a second finish does nothing";
}

// A load let go unfinished (a command that caught up and exited) must not leave level 0 above the
// family's own stop trigger: every write of the database would stop until compaction caught up.
// Compaction comes back at once; the slowdown and stop triggers stay raised until the next open.
TEST_F(SortedTables, ABulkLoadLetGoWithLevel0FullKeepsWritesGoing) {
    ASSERT_TRUE(database_->db()
                    ->SetOptions(database_->family(kFamily), {{"disable_auto_compactions", "true"}})
                    .ok());
    std::optional<BulkLoad> load(BulkLoad::begin(*database_, kFamily, 64).value());
    for (int i = 0; i < 45; ++i)
        ASSERT_TRUE(ingest_rows({{"k", std::to_string(i)}, {"z", std::to_string(i)}}).is_ok());
    ASSERT_GT(files_at_level(0), 36);
    load.reset();
    const auto options = database_->db()->GetOptions(database_->family(kFamily));
    EXPECT_EQ(options.level0_file_num_compaction_trigger, 4);
    EXPECT_GT(options.level0_stop_writes_trigger, files_at_level(0));
    EXPECT_GT(options.level0_slowdown_writes_trigger, files_at_level(0));
}

// Tables of several families arrive in one step (one MANIFEST record): a caller's position can
// travel in the same ingestion as its rows.
TEST_F(SortedTables, TablesOfSeveralFamiliesAreIngestedTogether) {
    std::vector<SortedTable> tables;
    const std::vector<SortedTable::Row> rows = {{"k", "row"}};
    const std::vector<SortedTable::Row> position = {{"position:rows", "7"}};
    tables.push_back(SortedTable::write(*database_, kFamily, rows).value());
    tables.push_back(SortedTable::write(*database_, storage_keys::kMetaFamily, position).value());
    ASSERT_TRUE(database_->ingest(tables).is_ok());
    EXPECT_EQ(value_of("k"), "row");
    EXPECT_EQ(database_->get(storage_keys::kMetaFamily, "position:rows").value().value(), "7");
    // A failing family fails the whole: the rows are not added when the position's table is
    // gone.
    const std::vector<SortedTable::Row> more = {{"k2", "row"}};
    const std::vector<SortedTable::Row> later = {{"position:rows", "8"}};
    std::vector<SortedTable> broken;
    broken.push_back(SortedTable::write(*database_, kFamily, more).value());
    broken.push_back(SortedTable::write(*database_, storage_keys::kMetaFamily, later).value());
    std::filesystem::remove(broken.back().path());
    EXPECT_FALSE(database_->ingest(broken).is_ok());
    EXPECT_EQ(value_of("k2"), "(none)");
    EXPECT_EQ(database_->get(storage_keys::kMetaFamily, "position:rows").value().value(), "7");
}

}  // namespace
}  // namespace kakitome
