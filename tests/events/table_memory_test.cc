// table_memory sums, over the families it is given, the table files' size and what their open
// readers hold outside the block cache; a family that is not open is an error, not a zero.
#include "events/table_memory.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "events/test_store.h"

namespace kakitome {
namespace {

TEST(TableMemory, FlushedTablesAreCountedInEachFamilyGiven) {
    const auto directory = testing::fresh_directory("table-memory");
    const std::vector<std::string> families = {"first", "second"};
    auto database =
        Database::open({.directory = directory, .extra_column_families = families}).value();
    const auto empty = table_memory(*database, families);
    ASSERT_TRUE(empty.is_ok()) << empty.status().message();
    EXPECT_EQ(empty->table_file_bytes, 0u);

    DatabaseBatch batch;
    for (int row = 0; row < 2000; ++row)
        batch.put("first", "key-" + std::to_string(row), std::string(100, 'v'));
    ASSERT_TRUE(database->write(batch).is_ok());
    ASSERT_TRUE(database->compact_everything().is_ok());
    const auto first = table_memory(*database, std::vector<std::string>{"first"});
    const auto both = table_memory(*database, families);
    const auto second = table_memory(*database, std::vector<std::string>{"second"});
    ASSERT_TRUE(first.is_ok() && both.is_ok() && second.is_ok());
    EXPECT_GT(first->table_file_bytes, 0u);
    EXPECT_GT(first->table_readers_bytes, 0u);
    EXPECT_EQ(second->table_file_bytes, 0u);
    EXPECT_EQ(both->table_file_bytes, first->table_file_bytes + second->table_file_bytes);
    EXPECT_EQ(both->table_readers_bytes, first->table_readers_bytes + second->table_readers_bytes);

    EXPECT_FALSE(table_memory(*database, std::vector<std::string>{"absent"}).is_ok());
    database.reset();
    std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace kakitome
