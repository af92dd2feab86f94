// Envelope canonicalisation and input validation.
#include "events/event.h"

#include <gtest/gtest.h>

namespace kakitome {
namespace {

RecordedEvent fixed_event() {
    RecordedEvent event;
    event.seq = Seq{1};
    event.stream = "application-0001";
    event.version = StreamVersion{1};
    event.type = "FormMailReceived";
    event.schema = 1;
    event.at = "2025-06-10T01:02:03.004Z";
    event.actor = "system";
    event.correlation = "corr-1";
    event.causation = "";
    event.payload_json = canonicalize_json(R"({ "b": "申請\n\"x\"", "a": [1, 2] })").value();
    return event;
}

TEST(CanonicalBytes, MatchGoldenBytesForAFixedEvent) {
    const std::string golden =
        R"({"actor":"system","at":"2025-06-10T01:02:03.004Z","causation":"","correlation":"corr-1",)"
        R"("payload":{"a":[1,2],"b":"申請\n\"x\""},)"
        R"("prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",)"
        R"("schema":1,"seq":1,"stream":"application-0001","type":"FormMailReceived","version":1})";
    EXPECT_EQ(canonical_bytes(fixed_event()), golden);
    // Computed with coreutils sha256sum over the golden bytes, not by this code.
    EXPECT_EQ(to_hex(sha256(golden)),
              "2cea0779a22b41460a85cb590ec2eba85e01d10a975a948fd84c5a8cbeda4091");
}

TEST(CanonicalBytes, FastPathEqualsFullSerialisation) {
    RecordedEvent event = fixed_event();
    const char* payloads[] = {R"({"z":{"y":1,"x":[{"b":2,"a":1}]},"control":"\u0001\t"})",
                              R"("just a string")",
                              "[]",
                              "null",
                              R"({"emoji":"😀","kana":"ｶﾅ"})",
                              R"({"n":-12345678901234,"f":1.5,"t":true})"};
    for (const char* payload : payloads) {
        event.payload_json = canonicalize_json(payload).value();
        event.actor = "operator:佐藤 \"quoted\"";
        event.seq = Seq{18446744073709551615ull};
        EXPECT_EQ(canonical_bytes(event), canonical_bytes_reference(event)) << payload;
    }
}

TEST(CanonicalBytes, StoredRecordRoundTrips) {
    RecordedEvent event = fixed_event();
    event.prev_hash = sha256("previous");
    const std::string canonical = canonical_bytes(event);
    event.hash = sha256(canonical);
    auto decoded = decode_stored_event(encode_stored_event(event, canonical));
    ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
    EXPECT_EQ(decoded->hash, event.hash);
    EXPECT_EQ(decoded->prev_hash, event.prev_hash);
    EXPECT_EQ(decoded->payload_json, event.payload_json);
    EXPECT_EQ(decoded->stream, event.stream);
    EXPECT_EQ(canonical_bytes(decoded.value()), canonical);
}

TEST(CanonicalBytes, TheReadingDecoderAgreesWithTheStrictOne) {
    const char* payloads[] = {R"({})",
                              R"({"a":"x"})",
                              R"({"s":"quote \" and backslash \\ and } ] ,"})",
                              R"({"n":[1,{"m":[]},"]"],"t":true,"u":null})",
                              R"({"a":"ends in a backslash \\","b":"\\\"}, \\\\"})",
                              R"(["\\",{"k\"":"\\\\\"]"}])",
                              R"("just a string")",
                              R"(12.5)",
                              R"([])",
                              R"({"日本語":"申請","e":"\u0001"})"};
    const char* actors[] = {"system", "operator:佐藤", "with \"quote\""};
    int compared = 0;
    for (const char* payload : payloads) {
        for (const char* actor : actors) {
            RecordedEvent event = fixed_event();
            event.payload_json = canonicalize_json(payload).value();
            event.actor = actor;
            event.prev_hash = sha256(payload);
            const std::string canonical = canonical_bytes(event);
            event.hash = sha256(canonical);
            const std::string stored = encode_stored_event(event, canonical);
            auto strict = decode_stored_event(stored);
            auto reading = decode_stored_event_for_reading(stored);
            ASSERT_TRUE(strict.is_ok() && reading.is_ok()) << payload;
            EXPECT_EQ(reading->to_json(), strict->to_json()) << payload << " " << actor;
            EXPECT_EQ(canonical_bytes(reading.value()), canonical);
            ++compared;
        }
    }
    EXPECT_EQ(compared, 30);
    // Damaged bytes still fail (through the strict decoder).
    EXPECT_FALSE(decode_stored_event_for_reading(std::string(32, 'x') + "{\"actor\":").is_ok());
}

// The reading decoder's fast path copies the payload's bytes as they are; the strict decoder
// re-prints them in canonical order. A payload stored out of order (never written by the store)
// therefore shows which one answered: the fast path must read past escaped quotes and trailing
// backslashes inside strings without handing the envelope to the strict decoder.
TEST(CanonicalBytes, TheReadingDecoderReadsPastEscapedQuotesWithoutTheStrictOne) {
    const char* payloads[] = {R"({"s":"a\"}, \\","b":1,"a":2})",
                              R"({"z":["\\",{"k\"":"\\\\\"]"}],"a":"\\\\"})"};
    for (const char* payload : payloads) {
        RecordedEvent event = fixed_event();
        event.payload_json = payload;
        const std::string canonical = canonical_bytes(event);
        event.hash = sha256(canonical);
        auto reading = decode_stored_event_for_reading(encode_stored_event(event, canonical));
        ASSERT_TRUE(reading.is_ok()) << reading.status().to_string();
        EXPECT_EQ(reading->payload_json, payload) << "the strict decoder answered";
    }
}

TEST(Validation, RejectsBadStreamNames) {
    EXPECT_EQ(validate_stream_name("").code(), StatusCode::invalid_argument);
    EXPECT_EQ(validate_stream_name(std::string(257, 'a')).code(), StatusCode::invalid_argument);
    EXPECT_TRUE(validate_stream_name(std::string(256, 'a')).is_ok());
    EXPECT_EQ(validate_stream_name("bad\xff\xfe").code(), StatusCode::invalid_argument);
    EXPECT_EQ(validate_stream_name("line\nbreak").code(), StatusCode::invalid_argument);
    EXPECT_TRUE(validate_stream_name("application-申請-1").is_ok());
}

TEST(Validation, RejectsBadPayloads) {
    NewEvent event{.type = "X", .payload_json = R"({"a":"\xff"})"};
    EXPECT_EQ(validate_and_canonicalize(event).code(), StatusCode::invalid_argument);
    event.payload_json = "{not json";
    EXPECT_EQ(validate_and_canonicalize(event).code(), StatusCode::invalid_argument);
    event.payload_json = "\"" + std::string(kMaxPayloadBytes, 'a') + "\"";
    EXPECT_EQ(validate_and_canonicalize(event).code(), StatusCode::resource_exhausted);
    // Under the limit as sent, over it in canonical form: each "1E2" is dumped as "100.0".
    std::string growing = "[";
    while (growing.size() < kMaxPayloadBytes - 8) growing += "1E2,";
    growing += "1E2]";
    ASSERT_LE(growing.size(), kMaxPayloadBytes);
    event.payload_json = growing;
    EXPECT_EQ(validate_and_canonicalize(event).code(), StatusCode::resource_exhausted);
    event.payload_json = "{}";
    event.type = "";
    EXPECT_EQ(validate_and_canonicalize(event).code(), StatusCode::invalid_argument);
    event.type = "Fine";
    event.payload_json = R"({ "b" : 1 , "a" : 2 })";
    ASSERT_TRUE(validate_and_canonicalize(event).is_ok());
    EXPECT_EQ(event.payload_json, R"({"a":2,"b":1})");
}

// The deepest payload an event may hold still leaves its envelope within canonical JSON's limit,
// so an exported ledger's verifier, which canonicalises the whole envelope, accepts it.
TEST(Validation, APayloadAtTheNestingLimitKeepsItsEnvelopeCanonicalisable) {
    NewEvent deepest{.type = "Deep",
                     .payload_json = std::string(kMaxPayloadNesting, '[') +
                                     std::string(kMaxPayloadNesting, ']')};
    ASSERT_TRUE(validate_and_canonicalize(deepest).is_ok());
    RecordedEvent recorded = fixed_event();
    recorded.payload_json = deepest.payload_json;
    const std::string envelope = canonical_bytes(recorded);
    const auto again = canonicalize_json(envelope);
    ASSERT_TRUE(again.is_ok()) << again.status().to_string();
    EXPECT_EQ(again.value(), envelope);
    NewEvent deeper{.type = "Deep",
                    .payload_json = std::string(kMaxPayloadNesting + 1, '[') +
                                    std::string(kMaxPayloadNesting + 1, ']')};
    EXPECT_EQ(validate_and_canonicalize(deeper).code(), StatusCode::invalid_argument);
}

}  // namespace
}  // namespace kakitome
