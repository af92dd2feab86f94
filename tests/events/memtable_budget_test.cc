// serve writes to more than a dozen column families, each of which RocksDB would let keep up to
// two 64 MiB memtables: memory grew with every family written. The database gives all families
// one memtable budget; writing well past it across several families, each below its own flush
// size, must leave the memtables within it once RocksDB has flushed.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "events/database.h"
#include "events/test_store.h"

namespace kakitome {
namespace {

TEST(MemtableBudget, AllFamiliesTogetherStayWithinOneBudget) {
    const auto directory = testing::fresh_directory("memtable-budget");
    const std::vector<std::string> families = {"first", "second", "third", "fourth"};
    auto database =
        Database::open({.directory = directory, .extra_column_families = families}).value();
    const std::uint64_t budget = database->db()->GetDBOptions().db_write_buffer_size;
    ASSERT_GT(budget, 0u) << "no shared memtable budget";
    ASSERT_LE(budget, std::uint64_t{256} << 20);

    const auto memtable_bytes = [&] {
        std::uint64_t total = 0;
        for (const auto& family : families) {
            std::uint64_t bytes = 0;
            EXPECT_TRUE(database->db()->GetIntProperty(database->family(family),
                                                       "rocksdb.cur-size-all-mem-tables", &bytes));
            total += bytes;
        }
        return total;
    };
    // 1.6 budgets spread evenly: each family's share stays below the 64 MiB at which it would
    // flush on its own, so only the shared budget can bring the total down.
    const std::string value(64 * 1024, 'v');
    const std::uint64_t per_family = budget * 16 / 10 / families.size();
    ASSERT_LT(per_family, std::uint64_t{64} << 20);
    for (std::uint64_t written = 0, row = 0; written < per_family; written += value.size()) {
        DatabaseBatch batch;
        for (const auto& family : families) batch.put(family, std::to_string(row), value);
        ++row;
        ASSERT_TRUE(database->write(batch).is_ok());
    }
    // The flushes the budget asks for run in the background.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (memtable_bytes() > budget && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_LE(memtable_bytes(), budget);
    database.reset();
    std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace kakitome
