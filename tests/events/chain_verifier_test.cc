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

// Event 2 of chain(3) spelled as `canonical` (its hash computed over those bytes, its
// predecessor event 1's), after event 1: what accept() says of it.
std::optional<ChainBreak> second_event_spelled(const std::string& canonical) {
    const auto stored = chain(2);
    ChainVerifier verifier;
    EXPECT_FALSE(verifier.accept(Seq{1}, stored[0]).has_value());
    RecordedEvent unused;
    unused.hash = sha256(canonical);
    return verifier.accept(Seq{2}, encode_stored_event(unused, canonical));
}

// What the verifier accepted before it read fields in place: the strict decoder's parse, then
// the bytes compared with the canonical bytes of what it parsed.
bool canonical_by_the_strict_decoder(const std::string& canonical) {
    RecordedEvent unused;
    unused.hash = sha256(canonical);
    auto decoded = decode_stored_event(encode_stored_event(unused, canonical));
    return decoded.is_ok() && canonical_bytes(decoded.value()) == canonical;
}

// The hash covers the bytes, so a second spelling of one event, hashed over its own bytes, would
// let two byte strings claim the same event: only the canonical spelling is accepted. Each
// re-spelling is judged as the strict decoder judges it.
TEST(ChainVerifier, ASecondSpellingOfTheSameEventBreaksTheChain) {
    std::vector<RecordedEvent> events;
    chain(2, &events);
    const std::string canonical = canonical_bytes(events[1]);
    ASSERT_FALSE(second_event_spelled(canonical).has_value());
    ASSERT_TRUE(canonical_by_the_strict_decoder(canonical));

    const auto respelled = [&](const std::string& from, const std::string& to) {
        std::string bytes = canonical;
        const auto at = bytes.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        return at == std::string::npos ? bytes : bytes.replace(at, from.size(), to);
    };
    const std::vector<std::string> spellings = {
        respelled(R"({"reason":"r","token_sha256":"t"})", R"({"token_sha256":"t","reason":"r"})"),
        respelled(R"({"reason":"r",)", R"({"reason": "r",)"),
        respelled(R"({"reason":"r",)", R"({"reason":"\u0072",)"),
        respelled(R"({"reason":"r",)", R"({"reason":"r","reason":"r",)"),
        respelled(R"("t"})", R"("t","n":1E2})"),
        respelled(R"("t"})", R"("t" })"),
        respelled(R"("actor":"system")", R"("actor": "system")"),
        respelled(R"("actor":"system")", R"("actor":"\u0073ystem")"),
        respelled(R"("type":"UrlRevoked")", R"("type":"UrlRevoked","extra":1)"),
        respelled(R"("version":2)", R"("version":2.0)"),
        respelled(R"("version":2)", R"("version":02)"),
        respelled(R"("schema":1,)", R"("schema":1 ,)"),
        canonical + " ",
        respelled(R"("actor":"system")", "\"actor\":\"syst\xffm\""),
        respelled(R"({"reason":"r",)", "{\"reason\":\"\xc3\",")};
    for (const auto& spelling : spellings) {
        const auto broken = second_event_spelled(spelling);
        ASSERT_TRUE(broken.has_value()) << spelling;
        EXPECT_EQ(broken->seq, Seq{2}) << spelling;
        // Refused as a spelling (or as no envelope at all), not for its hash or its link.
        EXPECT_EQ(broken->reason.find("hash"), std::string::npos) << broken->reason;
        EXPECT_FALSE(canonical_by_the_strict_decoder(spelling)) << spelling;
    }
    // Payloads whose canonical spelling escapes, keeps non-ASCII and prints a fraction are
    // accepted in that spelling, as the strict decoder accepts them.
    for (const std::string payload :
         {R"({"a":[1,{"b":"日本\"x"}],"f":0.5})", R"({"e":"","n":-3,"z":null})"}) {
        RecordedEvent event = events[1];
        event.payload_json = payload;
        const std::string bytes = canonical_bytes(event);
        EXPECT_FALSE(second_event_spelled(bytes).has_value()) << bytes;
        EXPECT_TRUE(canonical_by_the_strict_decoder(bytes)) << bytes;
    }
}

}  // namespace
}  // namespace kakitome
