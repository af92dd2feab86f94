// The queue fold: states follow events, replays are idempotent and rebuilds are byte-identical.
#include "projections/application_queue.h"

#include <gtest/gtest.h>

namespace kakitome {
namespace {

RecordedEvent event(std::uint64_t seq, const std::string& stream, const std::string& type, const std::string& payload = "{}") {
    RecordedEvent e;
    e.seq = Seq{seq};
    e.stream = stream;
    e.type = type;
    e.payload_json = payload;
    e.at = "2025-06-10T00:00:0" + std::to_string(seq % 10) + ".000Z";
    return e;
}

std::vector<RecordedEvent> history() {
    return {event(1, "application-a", "FormMailReceived"), event(2, "message-x", "MessageIngested"),
            event(3, "application-b", "FormMailReceived"), event(4, "application-a", "MailsPaired"),
            event(5, "application-a", "FormDecrypted"),    event(6, "application-a", "ApplicationRejected", R"({"codes":["consent_not_given"]})"),
            event(7, "application-b", "PasswordRejected")};
}

TEST(ApplicationQueue, StatesFollowEventsAndOpenApplicationsComeFirst) {
    ApplicationQueue queue;
    for (const auto& e : history()) queue.apply(e);
    const auto rows = queue.rows();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].application, "b");
    EXPECT_EQ(rows[0].state, "password_mismatch");
    EXPECT_EQ(rows[1].state, "rejected");
    EXPECT_EQ(rows[1].reasons, std::vector<std::string>{"consent_not_given"});
    EXPECT_EQ(rows[1].paired_at, "2025-06-10T00:00:04.000Z");
    EXPECT_EQ(queue.position(), Seq{7});
}

TEST(ApplicationQueue, ReplayIsIdempotentAndRebuildIsIdentical) {
    ApplicationQueue once, twice;
    for (const auto& e : history()) once.apply(e);
    for (const auto& e : history()) twice.apply(e);
    for (const auto& e : history()) twice.apply(e);  // delivered again: ignored
    EXPECT_EQ(once.to_json(), twice.to_json());
    EXPECT_EQ(once.to_text(), twice.to_text());
}

}  // namespace
}  // namespace kakitome
