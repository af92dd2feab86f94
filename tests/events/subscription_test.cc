// Catch-up then live subscriptions with a bounded buffer.
#include "events/subscription.h"

#include <gtest/gtest.h>

#include <thread>

#include "events/test_store.h"

namespace kakitome {
namespace {

using namespace std::chrono_literals;
using testing::event_of;
using testing::TestStore;

TEST(Subscription, CatchesUpFromASeqThenGoesLive) {
    TestStore t("store", {.durability = Durability::buffered});
    for (int i = 1; i <= 10; ++i) {
        ASSERT_TRUE(
            t.store->append("s", ExpectedVersion::any(), {event_of("E" + std::to_string(i))})
                .is_ok());
    }
    Subscription subscription(*t.store, Seq{4}, 3);
    for (std::uint64_t expected = 4; expected <= 10; ++expected) {
        auto next = subscription.next(100ms);
        ASSERT_TRUE(next.is_ok());
        ASSERT_TRUE(next->has_value());
        EXPECT_EQ(next->value().seq.value, expected);
        EXPECT_LE(subscription.buffered(), 3u);
    }
    // Caught up: nothing more within the timeout.
    auto idle = subscription.next(20ms);
    ASSERT_TRUE(idle.is_ok());
    EXPECT_FALSE(idle->has_value());

    std::thread writer([&] {
        std::this_thread::sleep_for(20ms);
        for (int i = 11; i <= 20; ++i) {
            ASSERT_TRUE(t.store->append("s", ExpectedVersion::any(), {event_of("L")}).is_ok());
        }
    });
    for (std::uint64_t expected = 11; expected <= 20; ++expected) {
        auto next = subscription.next(5s);
        ASSERT_TRUE(next.is_ok() && next->has_value()) << "live event " << expected << " missing";
        EXPECT_EQ(next->value().seq.value, expected);
        EXPECT_LE(subscription.buffered(), 3u);
    }
    writer.join();
    EXPECT_EQ(subscription.position(), Seq{20});
}

TEST(Subscription, SlowSubscriberNeitherBlocksWritersNorBuffersMore) {
    TestStore t("store", {.durability = Durability::buffered});
    Subscription subscription(*t.store, Seq{1}, 8);
    for (int i = 0; i < 2000; ++i) {
        ASSERT_TRUE(t.store->append("s", ExpectedVersion::any(), {event_of("E")}).is_ok());
    }
    std::uint64_t delivered = 0;
    while (true) {
        auto next = subscription.next(10ms);
        ASSERT_TRUE(next.is_ok());
        if (!next->has_value()) break;
        ++delivered;
        ASSERT_LE(subscription.buffered(), 8u);
    }
    EXPECT_EQ(delivered, 2000u);
}

TEST(Subscription, CancelWakesAWaitingReader) {
    TestStore t;
    Subscription subscription(*t.store, Seq{1}, 4);
    std::thread canceller([&] {
        std::this_thread::sleep_for(30ms);
        subscription.cancel();
    });
    const auto start = std::chrono::steady_clock::now();
    auto next = subscription.next(10s);
    canceller.join();
    EXPECT_EQ(next.status().code(), StatusCode::unavailable);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

}  // namespace
}  // namespace kakitome
