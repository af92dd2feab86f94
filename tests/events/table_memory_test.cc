// table_memory sums, over every column family the database has open, the table files' size and
// what reading them keeps in memory: the one block cache they share, and what open tables keep
// beside it.
#include "events/table_memory.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <cstdio>
#include <string>
#include <vector>

#include "events/test_store.h"

namespace kakitome {
namespace {

std::string row_key(int row) {
    char key[16];
    std::snprintf(key, sizeof key, "key-%08d", row);
    return key;
}

void fill(const Database& database, const std::string& family, int rows) {
    for (int first = 0; first < rows; first += 10'000) {
        DatabaseBatch batch;
        for (int row = first; row < std::min(rows, first + 10'000); ++row)
            batch.put(family, row_key(row), std::string(100, 'v'));
        ASSERT_TRUE(database.write(batch).is_ok());
    }
    ASSERT_TRUE(database.compact_everything().is_ok());
}

TEST(TableMemory, TheTablesOfEveryOpenFamilyAreCounted) {
    const auto directory = testing::fresh_directory("table-memory");
    // The family written first is listed before the one after it: a sum that kept only the last
    // family's figures would miss it.
    const std::vector<std::string> families = {"first", "second"};
    auto database =
        Database::open({.directory = directory, .extra_column_families = families}).value();
    const auto empty = table_memory(*database);
    ASSERT_TRUE(empty.is_ok()) << empty.status().message();
    EXPECT_EQ(empty->table_file_bytes, 0u);
    EXPECT_EQ(empty->table_readers_bytes, 0u);

    fill(*database, "first", 2000);
    const auto one = table_memory(*database);
    ASSERT_TRUE(one.is_ok()) << one.status().message();
    EXPECT_GT(one->table_file_bytes, 0u);
    EXPECT_GT(one->table_readers_bytes, 0u);

    fill(*database, "second", 2000);
    const auto two = table_memory(*database);
    ASSERT_TRUE(two.is_ok()) << two.status().message();
    EXPECT_GT(two->table_file_bytes, one->table_file_bytes);
    EXPECT_GT(two->table_readers_bytes, one->table_readers_bytes);
    database.reset();
    std::filesystem::remove_all(directory);
}

std::uint64_t cache_usage_seen_from(const Database& database, const std::string& family) {
    std::uint64_t bytes = 0;
    EXPECT_TRUE(database.db()->GetIntProperty(database.family(family), "rocksdb.block-cache-usage",
                                              &bytes));
    return bytes;
}

std::size_t table_files(const Database& database, const std::string& family) {
    rocksdb::ColumnFamilyMetaData metadata;
    database.db()->GetColumnFamilyMetaData(database.family(family), &metadata);
    std::size_t files = 0;
    for (const auto& level : metadata.levels) files += level.files.size();
    return files;
}

// A block read in one family takes room that every other family's reads see gone: the capacity
// configured is the whole of it, not a share per family (there are more than a dozen).
TEST(TableMemory, EveryFamilyReadsThroughTheOneBlockCache) {
    const auto directory = testing::fresh_directory("table-memory");
    const DatabaseOptions options{.directory = directory,
                                  .extra_column_families = {"first", "second"},
                                  .block_cache_bytes = 4 << 20};
    auto database = Database::open(options).value();
    fill(*database, "first", 20'000);
    database.reset();
    database = Database::open(options).value();
    const auto before = table_memory(*database);
    ASSERT_TRUE(before.is_ok()) << before.status().message();
    EXPECT_EQ(before->block_cache_capacity_bytes, std::uint64_t{4} << 20);
    const std::uint64_t second_before = cache_usage_seen_from(*database, "second");
    for (int row = 0; row < 20'000; row += 50)
        ASSERT_TRUE(database->get("first", row_key(row)).is_ok());
    EXPECT_GE(cache_usage_seen_from(*database, "second"), second_before + 64 * 1024)
        << "the blocks read in one family are not in the cache the other reads through";
    const auto after = table_memory(*database);
    ASSERT_TRUE(after.is_ok()) << after.status().message();
    EXPECT_EQ(after->block_cache_usage_bytes, cache_usage_seen_from(*database, "second"));
    database.reset();
    std::filesystem::remove_all(directory);
}

// Every table stays open, so whatever an open table keeps beside the block cache adds up with the
// store. Its index lives in the cache instead: five times the rows, and a table reader keeps no
// more than before.
TEST(TableMemory, WhatOpenTablesKeepBesideTheCacheDoesNotGrowWithThem) {
    const auto directory = testing::fresh_directory("table-memory");
    const DatabaseOptions options{.directory = directory, .extra_column_families = {"first"}};
    const auto beside_the_cache_per_table = [&](int rows) {
        fill(*Database::open(options).value(), "first", rows);
        auto database = Database::open(options).value();
        for (int row = 0; row < rows; row += 97)
            EXPECT_TRUE(database->get("first", row_key(row)).is_ok());
        const auto memory = table_memory(*database);
        EXPECT_TRUE(memory.is_ok()) << memory.status().message();
        const std::size_t files = table_files(*database, "first");
        EXPECT_GT(files, 0u);
        return memory->table_readers_bytes / std::max<std::size_t>(files, 1);
    };
    const std::uint64_t small = beside_the_cache_per_table(100'000);
    const std::uint64_t large = beside_the_cache_per_table(500'000);
    EXPECT_LE(large, small + 256) << "per table: " << small << " bytes at 100,000 rows, " << large
                                  << " at 500,000";
    std::filesystem::remove_all(directory);
}

// A table's index is split into partitions under a small top level: a lookup brings the top level
// and one partition into the cache, not an index that grows with the table (here over 100 KiB).
TEST(TableMemory, ALookupBringsOnePartOfATablesIndexIntoTheCache) {
    const auto directory = testing::fresh_directory("table-memory");
    const DatabaseOptions options{
        .directory = directory, .extra_column_families = {"first"}, .block_cache_bytes = 4 << 20};
    fill(*Database::open(options).value(), "first", 200'000);
    auto database = Database::open(options).value();
    const std::uint64_t before = cache_usage_seen_from(*database, "first");
    ASSERT_TRUE(database->get("first", row_key(123'456)).is_ok());
    EXPECT_LT(cache_usage_seen_from(*database, "first"), before + 32 * 1024);
    database.reset();
    std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace kakitome
