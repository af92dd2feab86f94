// ReadModels' fold in slices: a stop requested while a long fold runs (a server told to stop
// during its first start) ends it at the next slice with `unavailable`, what was folded stored;
// the next start loads that, goes on from there, and ends with every application in the queue.
#include "projections/read_models.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <thread>

#include "engine/domain/access_events.h"
#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "events/sorted_table.h"
#include "events/test_store.h"
#include "projections/disclosure_burst.h"

namespace kakitome {
namespace {

constexpr std::uint64_t kApplications = 2'000;
// Slices of a tenth of the server's, so that the log (several slices of every read model, and
// more than a page of for_each_page) stays quick to build under the sanitizers.
constexpr std::uint64_t kSliceEvents = ReadModels::kFoldSliceEvents / 10;
constexpr std::uint64_t kEvents = 2 * kSliceEvents + 3'000;

TEST(ReadModelsFold, AStopEndsALongFoldAtASliceAndTheNextStartGoesOnFromThere) {
    const auto directory = testing::fresh_directory("read-models-fold");
    std::vector<std::string> families = projection_families();
    auto database =
        Database::open({.directory = directory, .extra_column_families = families}).value();
    auto store = EventStore::open(database, {.durability = Durability::buffered}).value();
    for (std::uint64_t written = 0; written < kEvents;) {
        std::vector<StreamAppend> parts;
        for (int i = 0; i < 100 && written < kEvents; ++i, ++written) {
            const std::uint64_t application = written % kApplications;
            parts.push_back({domain::application_stream("a" + std::to_string(application)),
                             ExpectedVersion::any(),
                             {written < kApplications
                                  ? domain::new_event(domain::FormMailReceived{
                                        .sender_key = "k" + std::to_string(application)})
                                  : domain::new_event(domain::ApplicationAssigned{"sato"})}});
        }
        ASSERT_TRUE(store->append_transaction(std::move(parts)).is_ok());
    }
    const Seq head = store->head();
    workflow::WorkflowConfig config;
    const auto clock = [] { return std::int64_t{1'795'694'400'000}; };
    {
        ReadModels first(*store, config, clock, kSliceEvents);
        ASSERT_TRUE(first.load().is_ok());
        // Stop once the fold has made its first page: it is then inside its first slice.
        std::thread stopper([&first] {
            while (first.fold_progress().position.value == 0)
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            first.request_stop();
        });
        const Status stopped = first.catch_up();
        stopper.join();
        EXPECT_EQ(stopped.code(), StatusCode::unavailable) << stopped.to_string();
        EXPECT_NE(stopped.message().find("stopping"), std::string::npos) << stopped.to_string();
    }
    ReadModels next(*store, config, clock, kSliceEvents);
    ASSERT_TRUE(next.load().is_ok());
    EXPECT_LT(next.folded_through().value, head.value) << "the first fold ran to its end";
    EXPECT_GT(next.position().value, 0u) << "nothing of the first fold was stored";
    ASSERT_TRUE(next.catch_up().is_ok());
    EXPECT_EQ(next.folded_through(), head);
    ASSERT_TRUE(next.queue_snapshot());
    EXPECT_EQ(next.queue_snapshot()->size(), kApplications);
    store.reset();
    database.reset();
    std::filesystem::remove_all(directory);
}

// A first fold far behind indexes disclosures as one bulk load. When it reaches the head with
// level 0 still full, the load ends in a later pass of the worker, once compaction has shrunk
// level 0, even when no new event arrives (such a pass folds nothing).
TEST(ReadModelsFold, ABulkLoadThatReachedTheHeadEndsInAnIdlePass) {
    const auto directory = testing::fresh_directory("read-models-bulk-load");
    auto database =
        Database::open({.directory = directory, .extra_column_families = projection_families()})
            .value();
    auto store = EventStore::open(database, {.durability = Durability::buffered}).value();
    ASSERT_TRUE(store
                    ->append(domain::application_stream("a1"), ExpectedVersion::any(),
                             {domain::new_event(domain::FormMailReceived{.sender_key = "k1"})})
                    .is_ok());
    const auto burst = testing::disclosure_burst("a1", 1000);
    for (int i = 0; i < 45; ++i)
        ASSERT_TRUE(store->append(domain::disclosure_stream("sato"), ExpectedVersion::any(), burst)
                        .is_ok());
    // Level 0 held full while the fold runs: 30 tables of another key, compaction off.
    auto* family = database->family(kDisclosuresFamily);
    ASSERT_TRUE(database->db()->SetOptions(family, {{"disable_auto_compactions", "true"}}).ok());
    {
        auto load = BulkLoad::begin(*database, kDisclosuresFamily, 64).value();
        for (int i = 0; i < 30; ++i) {
            const std::vector<SortedTable::Row> rows = {{"zz", std::to_string(i)}};
            std::vector<SortedTable> tables;
            tables.push_back(SortedTable::write(*database, kDisclosuresFamily, rows).value());
            ASSERT_TRUE(database->ingest(tables).is_ok());
        }
    }
    workflow::WorkflowConfig config;
    ReadModels models(*store, config, [] { return std::int64_t{1'795'694'400'000}; });
    ASSERT_TRUE(models.load().is_ok());
    ASSERT_TRUE(models.catch_up().is_ok());
    ASSERT_EQ(models.folded_through(), store->head());
    ASSERT_TRUE(models.disclosures().bulk_loading()) << "level 0 was still full at the head";
    ASSERT_TRUE(database->db()->SetOptions(family, {{"disable_auto_compactions", "false"}}).ok());
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (models.disclosures().bulk_loading() && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        ASSERT_TRUE(models.catch_up().is_ok());
    }
    EXPECT_FALSE(models.disclosures().bulk_loading()) << "no idle pass ended the load";
    EXPECT_EQ(database->db()->GetOptions(family).level0_slowdown_writes_trigger, 20);
    store.reset();
    database.reset();
    std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace kakitome
