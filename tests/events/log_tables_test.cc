// The log's tables: written in blocks of about 16 KiB for whole passes, each stamped with that
// format; a pass over the log leaves the block cache to the reads that serve requests; and the
// tables an older kakitome wrote (4 KiB blocks, no stamp) are rewritten in the current format,
// only those, with every event reading back the same and the chain intact.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/metadata.h>
#include <rocksdb/table_properties.h>

#include <atomic>
#include <set>
#include <string>
#include <vector>

#include "events/log_table_rewrite.h"
#include "events/older_log_tables.h"
#include "events/test_store.h"
#include "events/verified_pages.h"

namespace kakitome {
namespace {

// Events of about 230 bytes each on eight streams: a log of several 16 KiB blocks.
void append_events_of_about_230_bytes(EventStore& store, int count) {
    const std::string filler(200, 'x');
    for (int i = 0; i < count; ++i) {
        ASSERT_TRUE(store
                        .append("s-" + std::to_string(i % 8), ExpectedVersion::any(),
                                {testing::event_of("Happened", "{\"i\":" + std::to_string(i) +
                                                                   ",\"f\":\"" + filler + "\"}")})
                        .is_ok());
    }
}

// The events a verifying replay's pass hands on, the chain checked from seq 1 (0 when it breaks).
std::size_t events_of_a_verifying_pass(const EventStore& store) {
    std::size_t verified = 0;
    const Status passed = for_each_verified_page(store, Seq{1}, Seq{0}, Sha256Digest{},
                                                 [&](const std::vector<RecordedEvent>& page) {
                                                     verified += page.size();
                                                     return Status::ok();
                                                 });
    EXPECT_TRUE(passed.is_ok()) << passed.to_string();
    return passed.is_ok() ? verified : 0;
}

// Whole passes read the log block by block: its tables are written in blocks of about 16 KiB of
// records, not RocksDB's default 4 KiB (four times the per-block work for every pass), and a
// reopened database keeps writing them so.
TEST(LogTables, TheLogIsStoredInBlocksOfSixteenKibibytes) {
    testing::TestStore t;
    append_events_of_about_230_bytes(*t.store, 2000);
    t.store.reset();
    t.database.reset();
    t.reopen();
    ASSERT_TRUE(t.database->compact_everything().is_ok());
    rocksdb::TablePropertiesCollection tables;
    ASSERT_TRUE(t.database->db()->GetPropertiesOfAllTables(t.database->events(), &tables).ok());
    std::uint64_t record_bytes = 0, blocks = 0;
    for (const auto& [file, properties] : tables) {
        record_bytes += properties->raw_key_size + properties->raw_value_size;
        blocks += properties->num_data_blocks;
    }
    ASSERT_GT(record_bytes, 400'000u);
    ASSERT_GT(blocks, 0u);
    const std::uint64_t mean_block = record_bytes / blocks;
    EXPECT_GT(mean_block, 12u * 1024) << blocks << " blocks for " << record_bytes << " bytes";
    EXPECT_LT(mean_block, 20u * 1024) << blocks << " blocks for " << record_bytes << " bytes";
}

// A pass walks every block of the log, and a two-level index made it 8-10% slower: the log keeps
// one index per table. The other families are read by lookups, and partition theirs so that a
// lookup brings one partition into the block cache (TableMemory.ALookupBringsOnePart...).
TEST(LogTables, TheLogKeepsOneIndexPerTableWhileOtherFamiliesPartitionTheirs) {
    testing::TestStore t;
    append_events_of_about_230_bytes(*t.store, 2000);
    ASSERT_TRUE(t.database->compact_everything().is_ok());
    const auto partitions = [&](rocksdb::ColumnFamilyHandle* family) {
        rocksdb::TablePropertiesCollection tables;
        EXPECT_TRUE(t.database->db()->GetPropertiesOfAllTables(family, &tables).ok());
        EXPECT_FALSE(tables.empty());
        std::uint64_t total = 0;
        for (const auto& [file, properties] : tables) total += properties->index_partitions;
        return total;
    };
    EXPECT_EQ(partitions(t.database->events()), 0u);
    EXPECT_GT(partitions(t.database->streams()), 0u);
}

// A pass over the log (a verifying replay, a first fold, an index catch-up) reads blocks once: it
// leaves the block cache to the reads that serve requests instead of filling it with the whole log.
// A point read does fill it, so the property watched here does see the log's blocks when they go
// in.
TEST(LogTables, APassOverTheLogLeavesTheBlockCacheAsItWas) {
    testing::TestStore t;
    append_events_of_about_230_bytes(*t.store, 3000);
    ASSERT_TRUE(t.database->compact_everything().is_ok());
    t.store.reset();
    t.database.reset();
    t.reopen();  // the cache starts empty
    const auto cached_bytes = [&] {
        std::uint64_t bytes = 0;
        EXPECT_TRUE(t.database->db()->GetIntProperty(t.database->events(),
                                                     "rocksdb.block-cache-usage", &bytes));
        return bytes;
    };
    const std::uint64_t before = cached_bytes();
    std::size_t paged = 0;
    ASSERT_TRUE(for_each_page(
                    *t.store, Seq{1}, Seq{0},
                    [&](const std::vector<RecordedEvent>& page) {
                        paged += page.size();
                        return Status::ok();
                    },
                    500)
                    .is_ok());
    EXPECT_EQ(paged, 3000u);
    EXPECT_LT(cached_bytes(), before + 16 * 1024) << "after for_each_page";
    std::atomic<std::size_t> prepared = 0;  // pages are prepared two at a time
    ASSERT_TRUE(for_each_prepared_page(
                    *t.store, Seq{1}, Seq{0},
                    [&](const std::vector<RecordedEvent>& page, PreparedWrite&) {
                        prepared += page.size();
                        return Status::ok();
                    },
                    [](PreparedWrite&, Seq) { return Status::ok(); }, 500)
                    .is_ok());
    EXPECT_EQ(prepared.load(), 3000u);
    EXPECT_LT(cached_bytes(), before + 16 * 1024) << "after for_each_prepared_page";
    EXPECT_EQ(events_of_a_verifying_pass(*t.store), 3000u);
    EXPECT_LT(cached_bytes(), before + 16 * 1024) << "after for_each_verified_page";
    ASSERT_TRUE(t.store->read_event(Seq{1500}).is_ok());
    EXPECT_GE(cached_bytes(), before + 8 * 1024) << "a point read";
}

// Uncompressed record bytes per data block over the log's tables.
std::uint64_t mean_block_bytes(const Database& database) {
    rocksdb::TablePropertiesCollection tables;
    EXPECT_TRUE(database.db()->GetPropertiesOfAllTables(database.events(), &tables).ok());
    std::uint64_t record_bytes = 0, blocks = 0;
    for (const auto& [file, properties] : tables) {
        record_bytes += properties->raw_key_size + properties->raw_value_size;
        blocks += properties->num_data_blocks;
    }
    return blocks == 0 ? 0 : record_bytes / blocks;
}

std::set<std::string> log_table_files(const Database& database) {
    rocksdb::ColumnFamilyMetaData family;
    database.db()->GetColumnFamilyMetaData(database.events(), &family);
    std::set<std::string> files;
    for (const auto& level : family.levels)
        for (const auto& file : level.files) files.insert(file.name);
    return files;
}

std::vector<std::string> every_event(const EventStore& store) {
    auto read = store.read_all(Seq{1}, 1'000'000);
    EXPECT_TRUE(read.is_ok()) << read.status().to_string();
    std::vector<std::string> events;
    if (!read.is_ok()) return events;
    for (const auto& event : read.value()) events.push_back(event.to_json());
    return events;
}

TEST(LogTables, TablesWrittenNowAreStampedWithTheCurrentFormat) {
    testing::TestStore t;
    append_events_of_about_230_bytes(*t.store, 2000);
    ASSERT_TRUE(t.database->compact_everything().is_ok());
    const auto survey = survey_log_tables(*t.database);
    ASSERT_TRUE(survey.is_ok()) << survey.status().to_string();
    EXPECT_GE(survey->tables, 1u);
    EXPECT_GT(survey->bytes, 100'000u);
    EXPECT_EQ(survey->older_tables, 0u);
    EXPECT_EQ(survey->older_bytes, 0u);
    const auto rewritten = rewrite_older_log_tables(*t.database, {});
    ASSERT_TRUE(rewritten.is_ok()) << rewritten.status().to_string();
    EXPECT_EQ(rewritten->tables_rewritten, 0u);
}

TEST(LogTables, TablesAnOlderKakitomeWroteAreRewrittenInSixteenKibibyteBlocks) {
    testing::TestStore t;
    append_events_of_about_230_bytes(*t.store, 3000);
    t.store.reset();
    t.database.reset();
    testing::write_log_as_an_older_kakitome_did(t.directory);
    t.reopen();
    const auto before = survey_log_tables(*t.database);
    ASSERT_TRUE(before.is_ok()) << before.status().to_string();
    ASSERT_GE(before->tables, 5u);
    ASSERT_EQ(before->older_tables, before->tables);
    ASSERT_EQ(before->older_bytes, before->bytes);
    EXPECT_LT(mean_block_bytes(*t.database), 6u * 1024);
    const auto events_before = every_event(*t.store);
    ASSERT_EQ(events_before.size(), 3000u);

    std::vector<LogTableRewriteProgress> reports;
    const auto rewritten = rewrite_older_log_tables(
        *t.database, [&](const LogTableRewriteProgress& progress) { reports.push_back(progress); });
    ASSERT_TRUE(rewritten.is_ok()) << rewritten.status().to_string();
    EXPECT_EQ(rewritten->tables_rewritten, before->older_tables);
    EXPECT_EQ(rewritten->bytes_rewritten, before->older_bytes);
    ASSERT_EQ(reports.size(), before->older_tables);
    for (std::size_t i = 0; i < reports.size(); ++i) {
        EXPECT_EQ(reports[i].tables_rewritten, i + 1);
        EXPECT_EQ(reports[i].tables_to_rewrite, before->older_tables);
        EXPECT_EQ(reports[i].bytes_to_rewrite, before->older_bytes);
        if (i > 0) {
            EXPECT_GT(reports[i].bytes_rewritten, reports[i - 1].bytes_rewritten);
        }
    }
    EXPECT_EQ(reports.back().bytes_rewritten, before->older_bytes);

    const auto after = survey_log_tables(*t.database);
    ASSERT_TRUE(after.is_ok());
    EXPECT_EQ(after->older_tables, 0u);
    const std::uint64_t mean_block = mean_block_bytes(*t.database);
    EXPECT_GT(mean_block, 12u * 1024);
    EXPECT_LT(mean_block, 20u * 1024);

    // Only the files changed: every event reads back the same, the chain verifies, and so after
    // a reopen.
    EXPECT_EQ(every_event(*t.store), events_before);
    t.reopen();
    EXPECT_EQ(every_event(*t.store), events_before);
    EXPECT_EQ(events_of_a_verifying_pass(*t.store), 3000u);
}

// A rewrite stopped half way (or a log an older kakitome began and this one went on writing)
// holds tables of both formats: the next run rewrites the older ones and leaves the others'
// files as they are.
TEST(LogTables, ARewriteLeavesTablesInTheCurrentFormatAsTheyAre) {
    testing::TestStore t;
    append_events_of_about_230_bytes(*t.store, 2000);
    t.store.reset();
    t.database.reset();
    testing::write_log_as_an_older_kakitome_did(t.directory);
    t.reopen();
    const auto older = survey_log_tables(*t.database);
    ASSERT_TRUE(older.is_ok());
    append_events_of_about_230_bytes(*t.store, 2000);
    ASSERT_TRUE(t.database->compact_everything().is_ok());
    const auto mixed = survey_log_tables(*t.database);
    ASSERT_TRUE(mixed.is_ok());
    ASSERT_EQ(mixed->older_tables, older->older_tables);
    ASSERT_GT(mixed->tables, mixed->older_tables);
    const std::set<std::string> files_before = log_table_files(*t.database);

    const auto rewritten = rewrite_older_log_tables(*t.database, {});
    ASSERT_TRUE(rewritten.is_ok()) << rewritten.status().to_string();
    EXPECT_EQ(rewritten->tables_rewritten, mixed->older_tables);
    EXPECT_EQ(rewritten->tables_to_rewrite, mixed->older_tables);
    const std::set<std::string> files_after = log_table_files(*t.database);
    std::size_t kept = 0;
    for (const auto& file : files_before) kept += files_after.count(file);
    EXPECT_EQ(kept, mixed->tables - mixed->older_tables) << "tables in the current format kept";
    EXPECT_EQ(survey_log_tables(*t.database)->older_tables, 0u);
    EXPECT_EQ(every_event(*t.store).size(), 4000u);
}

// A table in level 0 overlaps the tables below it: its rewrite compacts it into them, and every
// table ends in the current format with every event as it was.
TEST(LogTables, AnOlderTableInLevelZeroIsRewrittenToo) {
    testing::TestStore t;
    append_events_of_about_230_bytes(*t.store, 2000);
    ASSERT_TRUE(t.database->compact_everything().is_ok());
    const auto events_before = every_event(*t.store);
    t.store.reset();
    t.database.reset();
    testing::write_the_log_again_into_level_zero(t.directory);
    t.reopen();
    rocksdb::ColumnFamilyMetaData family;
    t.database->db()->GetColumnFamilyMetaData(t.database->events(), &family);
    ASSERT_EQ(family.levels.at(0).files.size(), 1u);
    const auto before = survey_log_tables(*t.database);
    ASSERT_TRUE(before.is_ok());
    ASSERT_EQ(before->older_tables, 1u);
    ASSERT_GT(before->tables, 1u);

    const auto rewritten = rewrite_older_log_tables(*t.database, {});
    ASSERT_TRUE(rewritten.is_ok()) << rewritten.status().to_string();
    EXPECT_EQ(rewritten->tables_rewritten, 1u);
    EXPECT_EQ(survey_log_tables(*t.database)->older_tables, 0u);
    t.database->db()->GetColumnFamilyMetaData(t.database->events(), &family);
    EXPECT_EQ(family.levels.at(0).files.size(), 0u);
    EXPECT_EQ(every_event(*t.store), events_before);
    EXPECT_EQ(events_of_a_verifying_pass(*t.store), 2000u);
}

TEST(LogTables, ARewriteIsRefusedOnAReadOnlyDatabase) {
    testing::TestStore t;
    append_events_of_about_230_bytes(*t.store, 100);
    ASSERT_TRUE(t.database->compact_everything().is_ok());
    auto reader = Database::open({.directory = t.directory, .read_only = true});
    ASSERT_TRUE(reader.is_ok()) << reader.status().to_string();
    EXPECT_TRUE(survey_log_tables(*reader.value()).is_ok());
    const auto refused = rewrite_older_log_tables(*reader.value(), {});
    EXPECT_EQ(refused.status().code(), StatusCode::failed_precondition);
}

}  // namespace
}  // namespace kakitome
