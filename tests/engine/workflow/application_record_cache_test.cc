// ApplicationRecordCache against a real store: a repeated load is answered from the cache only
// while the stream's version is unchanged; an append is seen at once; the bound holds.
#include "engine/workflow/application_record_cache.h"

#include <gtest/gtest.h>

#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "events/test_store.h"

namespace kakitome::workflow {
namespace {

template <typename Payload>
void append(EventStore& store, const std::string& application, const Payload& payload) {
    ASSERT_TRUE(store
                    .append(domain::application_stream(application), ExpectedVersion::any(),
                            {domain::new_event(payload)})
                    .is_ok());
}

TEST(ApplicationRecordCache, AnswersFromTheCacheOnlyWhileTheStreamIsUnchanged) {
    testing::TestStore t("cache");
    append(*t.store, "a1", domain::FormMailReceived{.pii_sealed = "sealed"});
    ApplicationRecordCache cache(*t.store);
    auto first = cache.load("a1");
    ASSERT_TRUE(first.is_ok());
    EXPECT_EQ(cache.hits(), 0u);
    auto again = cache.load("a1");
    ASSERT_TRUE(again.is_ok());
    EXPECT_EQ(cache.hits(), 1u);
    EXPECT_EQ(again->to_json(), first->to_json());

    // Another writer moves the stream: the next load folds it again, and sees the event.
    append(*t.store, "a1", domain::PasswordMailReceived{.message_id = "p"});
    auto moved = cache.load("a1");
    ASSERT_TRUE(moved.is_ok());
    EXPECT_EQ(cache.hits(), 1u) << "a moved stream is never answered from the cache";
    EXPECT_EQ(moved->version, StreamVersion{2});
    EXPECT_TRUE(moved->password_received);
    EXPECT_EQ(moved->to_json(), load_application(*t.store, "a1")->to_json());
}

TEST(ApplicationRecordCache, KeepsAtMostItsCapacityAndSaysWhatIsUnknown) {
    testing::TestStore t("cache");
    for (const char* application : {"a1", "a2", "a3"})
        append(*t.store, application, domain::FormMailReceived{.pii_sealed = "sealed"});
    ApplicationRecordCache cache(*t.store, 2);
    for (const char* application : {"a1", "a2", "a3", "a1"})
        ASSERT_TRUE(cache.load(application).is_ok());
    EXPECT_EQ(cache.hits(), 0u) << "a1 was dropped for a3: two records at most";
    ASSERT_TRUE(cache.load("a1").is_ok());
    EXPECT_EQ(cache.hits(), 1u);
    auto unknown = cache.load("nobody");
    ASSERT_FALSE(unknown.is_ok());
    EXPECT_EQ(unknown.status().reason(), "unknown_application");
}

}  // namespace
}  // namespace kakitome::workflow
