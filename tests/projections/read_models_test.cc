// ReadModels' fold in slices: a stop requested while a long fold runs (a server told to stop
// during its first start) ends it at the next slice with `unavailable`, what was folded stored;
// the next start loads that, goes on from there, and ends with every application in the queue.
#include "projections/read_models.h"

#include <gtest/gtest.h>

#include <thread>

#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "events/test_store.h"

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

}  // namespace
}  // namespace kakitome
