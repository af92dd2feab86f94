// table_memory sums, over every column family the database has open, the table files' size and
// what their open readers hold outside the block cache.
#include "events/table_memory.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "events/test_store.h"

namespace kakitome {
namespace {

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

    const auto fill = [&](const std::string& family) {
        DatabaseBatch batch;
        for (int row = 0; row < 2000; ++row)
            batch.put(family, "key-" + std::to_string(row), std::string(100, 'v'));
        ASSERT_TRUE(database->write(batch).is_ok());
        ASSERT_TRUE(database->compact_everything().is_ok());
    };
    fill("first");
    const auto one = table_memory(*database);
    ASSERT_TRUE(one.is_ok()) << one.status().message();
    EXPECT_GT(one->table_file_bytes, 0u);
    EXPECT_GT(one->table_readers_bytes, 0u);

    fill("second");
    const auto two = table_memory(*database);
    ASSERT_TRUE(two.is_ok()) << two.status().message();
    EXPECT_GT(two->table_file_bytes, one->table_file_bytes);
    EXPECT_GT(two->table_readers_bytes, one->table_readers_bytes);
    database.reset();
    std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace kakitome
