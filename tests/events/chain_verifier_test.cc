// ChainVerifier alone, on stored records made here: each way a chain breaks is named at the
// first event that breaks it, and an intact chain ends at its head hash.
#include "events/chain_verifier.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "events/event.h"

namespace kakitome {
namespace {

// Stored records of a chain of `count` events, as the store writes them.
std::vector<std::string> chain(int count, std::vector<RecordedEvent>* events = nullptr) {
    std::vector<std::string> stored;
    Sha256Digest previous{};
    for (int i = 1; i <= count; ++i) {
        RecordedEvent event;
        event.seq = Seq{static_cast<std::uint64_t>(i)};
        event.stream = "application-a1";
        event.version = StreamVersion{static_cast<std::uint64_t>(i)};
        event.type = "UrlRevoked";
        event.at = "2026-11-26T09:00:0" + std::to_string(i) + ".000Z";
        event.actor = "system";
        event.payload_json = R"({"reason":"r","token_sha256":"t"})";
        event.prev_hash = previous;
        const std::string canonical = canonical_bytes(event);
        event.hash = sha256(canonical);
        previous = event.hash;
        stored.push_back(encode_stored_event(event, canonical));
        if (events) events->push_back(event);
    }
    return stored;
}

std::optional<ChainBreak> feed(const std::vector<std::string>& stored, ChainVerifier& verifier) {
    for (std::size_t i = 0; i < stored.size(); ++i) {
        if (auto broken = verifier.accept(Seq{i + 1}, stored[i])) return broken;
    }
    return std::nullopt;
}

TEST(ChainVerifier, AnIntactChainEndsAtItsHeadHash) {
    std::vector<RecordedEvent> events;
    const auto stored = chain(3, &events);
    ChainVerifier verifier;
    EXPECT_FALSE(feed(stored, verifier).has_value());
    EXPECT_EQ(verifier.last_seq(), Seq{3});
    EXPECT_EQ(verifier.head_hash(), events.back().hash);
}

TEST(ChainVerifier, AGapIsNamedAtTheMissingSeq) {
    const auto stored = chain(3);
    ChainVerifier verifier;
    ASSERT_FALSE(verifier.accept(Seq{1}, stored[0]).has_value());
    const auto broken = verifier.accept(Seq{3}, stored[2]);
    ASSERT_TRUE(broken.has_value());
    EXPECT_EQ(broken->seq, Seq{2});
    EXPECT_NE(broken->reason.find("missing"), std::string::npos);
}

TEST(ChainVerifier, AChangedByteBreaksItsOwnHash) {
    auto stored = chain(3);
    stored[1][stored[1].size() - 5] ^= 1;
    ChainVerifier verifier;
    const auto broken = feed(stored, verifier);
    ASSERT_TRUE(broken.has_value());
    EXPECT_EQ(broken->seq, Seq{2});
}

TEST(ChainVerifier, AnEventWithAnotherPredecessorBreaksTheLink) {
    // Event 2 of a different chain, whose hash is right for its own bytes.
    const auto stored = chain(3);
    std::vector<RecordedEvent> other_events;
    auto other = chain(2, &other_events);
    RecordedEvent forged = other_events[1];
    forged.prev_hash = sha256("not event 1");
    const std::string canonical = canonical_bytes(forged);
    forged.hash = sha256(canonical);
    ChainVerifier verifier;
    ASSERT_FALSE(verifier.accept(Seq{1}, stored[0]).has_value());
    const auto broken = verifier.accept(Seq{2}, encode_stored_event(forged, canonical));
    ASSERT_TRUE(broken.has_value());
    EXPECT_NE(broken->reason.find("prev_hash"), std::string::npos) << broken->reason;
}

TEST(ChainVerifier, TimeGoingBackwardsBreaksTheChain) {
    std::vector<RecordedEvent> events;
    auto stored = chain(1, &events);
    RecordedEvent later = events[0];
    later.seq = Seq{2};
    later.version = StreamVersion{2};
    later.at = "2026-11-26T08:00:00.000Z";
    later.prev_hash = events[0].hash;
    const std::string canonical = canonical_bytes(later);
    later.hash = sha256(canonical);
    stored.push_back(encode_stored_event(later, canonical));
    ChainVerifier verifier;
    const auto broken = feed(stored, verifier);
    ASSERT_TRUE(broken.has_value());
    EXPECT_EQ(broken->seq, Seq{2});
    EXPECT_NE(broken->reason.find("earlier"), std::string::npos);
}

}  // namespace
}  // namespace kakitome
