// The token way of decoding a payload (no document built) against the document way: whenever the
// token way reads a text, it reads the payload the document way reads, over random texts of every
// shape a field can take (missing, null, duplicated, of another type, negative, beyond 64 bits, a
// float, escaped); and it reads the well-formed ones, so replays do not silently fall back.
#include <gtest/gtest.h>

#include <random>

#include <nlohmann/json.hpp>

#include "engine/domain/access_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/payload_codec.h"
#include "events/base/json_tokens.h"

namespace kakitome::domain {
namespace {

using nlohmann::json;
using Kind = JsonToken::Kind;

struct Window {
    std::string from;
    std::uint64_t count = 0;
    static constexpr auto fields() {
        return std::tuple{field("from", &Window::from), field("count", &Window::count)};
    }
};

struct EveryKind {
    static constexpr std::string_view kType = "EveryKind";
    static constexpr int kSchema = 1;
    std::string text;
    bool flag = false;
    std::uint64_t size = 0;
    int small = 0;
    std::int64_t offset = 0;
    std::vector<std::string> names;
    std::optional<std::string> note;
    std::optional<std::uint64_t> limit;
    Window window;
    std::vector<Window> windows;
    static constexpr auto fields() {
        using E = EveryKind;
        return std::tuple{field("text", &E::text),     field("flag", &E::flag),
                          field("size", &E::size),     field("small", &E::small),
                          field("offset", &E::offset), field("names", &E::names),
                          field("note", &E::note),     field("limit", &E::limit),
                          field("window", &E::window), field("windows", &E::windows)};
    }
};

const char* const kValues[] = {"\"plain\"",
                               "\"esc\\u00e9\\n\\\"q\\\"\"",
                               "\"\"",
                               "\"日本\"",
                               "true",
                               "false",
                               "null",
                               "0",
                               "-0",
                               "7",
                               "-7",
                               "1.0",
                               "1e2",
                               "-1",
                               "9223372036854775807",
                               "9223372036854775808",
                               "18446744073709551615",
                               "18446744073709551616",
                               "-9223372036854775808",
                               "4294967296",
                               "[]",
                               "[\"a\",\"b\"]",
                               "[\"a\",1]",
                               "[[]]",
                               "{}",
                               "{\"from\":\"x\",\"count\":3}",
                               "{\"from\":\"x\"}",
                               "{\"count\":3,\"from\":\"y\",\"count\":4}",
                               "[{\"from\":\"x\",\"count\":1},{\"from\":\"y\",\"count\":2}]",
                               "[{\"from\":1,\"count\":1}]"};

// A value that suits the field, so most generated texts decode.
std::string fitting(const std::string& name, std::mt19937_64& random) {
    if (name == "text") return "\"t" + std::to_string(random() % 100) + "\"";
    if (name == "flag") return random() % 2 ? "true" : "false";
    if (name == "size" || name == "limit") return std::to_string(random() % 100000);
    if (name == "small" || name == "offset") return std::to_string(int(random() % 2001) - 1000);
    if (name == "names") return "[\"a\",\"b\\u3042\"]";
    if (name == "note") return random() % 2 ? "\"n\"" : "null";
    if (name == "window") return "{\"from\":\"f\",\"count\":" + std::to_string(random() % 9) + "}";
    return "[{\"from\":\"g\",\"count\":1},{\"count\":2,\"from\":\"h\",\"extra\":[1,{}]}]";
}

std::string random_payload(std::mt19937_64& random) {
    static const std::vector<std::string> kNames = {"text",   "flag",    "size",   "small",
                                                    "offset", "names",   "note",   "limit",
                                                    "window", "windows", "unknown"};
    std::string out = "{";
    const auto add = [&](const std::string& name, const std::string& value) {
        out += (out.size() > 1 ? "," : "") + json(name).dump() + ":" + value;
    };
    for (const auto& name : kNames) {
        const auto roll = random() % 20;
        if (roll == 0) continue;  // missing
        if (roll == 1) {
            add(name, kValues[random() % std::size(kValues)]);
        } else {
            add(name, fitting(name, random));
        }
        if (random() % 15 == 0)
            add(name,
                random() % 2 ? fitting(name, random) : kValues[random() % std::size(kValues)]);
    }
    return out + "}";
}

TEST(PayloadTokens, WhateverTheTokenWayReadsTheDocumentWayReadsTheSame) {
    std::mt19937_64 random(20261128);
    JsonTokens tokens;
    int token_way = 0, document_way = 0;
    for (int round = 0; round < 20000; ++round) {
        const std::string text = random_payload(random);
        const json document = json::parse(text, nullptr, false);
        ASSERT_FALSE(document.is_discarded()) << text;
        auto from_document = payload_from_json<EveryKind>(document);
        if (from_document.is_ok()) ++document_way;
        EveryKind from_tokens{};
        // Not tokenized (an integer beyond 64 bits) or not read: the document way decides.
        if (!tokens.parse(text) || !payload_from_tokens(tokens.tokens(), from_tokens)) continue;
        ++token_way;
        ASSERT_TRUE(from_document.is_ok()) << text;
        EXPECT_EQ(encode_payload(from_tokens), encode_payload(from_document.value())) << text;
    }
    // The token way may leave a text to the document (a float for an integer), but not many.
    EXPECT_GT(document_way, 5000);
    EXPECT_GE(token_way, document_way * 9 / 10) << token_way << " of " << document_way;
}

// Read with only some members named (an index needing two fields of a large event), both ways
// read those members as a whole read does and leave every other as EveryKind{} has it, whatever
// the other fields hold; a bad value in a named member is still refused.
TEST(PayloadTokens, OnlyTheNamedMembersAreReadAndEveryOtherIsLeftAlone) {
    const auto named_only = [](const EveryKind& whole) {
        EveryKind out{};
        out.names = whole.names;
        out.window = whole.window;
        out.limit = whole.limit;
        return encode_payload(out);
    };
    std::mt19937_64 random(20261129);
    JsonTokens tokens;
    int whole_read = 0, token_way = 0;
    for (int round = 0; round < 20000; ++round) {
        const std::string text = random_payload(random);
        const json document = json::parse(text);
        auto whole = payload_from_json<EveryKind>(document);
        auto named =
            payload_from_json<EveryKind, &EveryKind::names, &EveryKind::window, &EveryKind::limit>(
                document);
        if (whole.is_ok()) {
            ++whole_read;
            ASSERT_TRUE(named.is_ok()) << text;
            EXPECT_EQ(encode_payload(named.value()), named_only(whole.value())) << text;
        }
        EveryKind from_tokens{};
        if (!tokens.parse(text) ||
            !payload_from_tokens<EveryKind, &EveryKind::names, &EveryKind::window,
                                 &EveryKind::limit>(tokens.tokens(), from_tokens))
            continue;
        ++token_way;
        ASSERT_TRUE(named.is_ok()) << text;
        EXPECT_EQ(encode_payload(from_tokens), encode_payload(named.value())) << text;
        EXPECT_EQ(encode_payload(from_tokens), named_only(from_tokens)) << text;
    }
    EXPECT_GT(whole_read, 5000);
    EXPECT_GT(token_way, whole_read) << "texts bad only outside the named members are read too";
    // A text whose only fields are the named ones, one of them bad: refused both ways.
    const std::string bad_limit = R"({"names":["a"],"window":{"from":"f","count":1},"limit":-1})";
    EXPECT_FALSE(
        (payload_from_json<EveryKind, &EveryKind::names, &EveryKind::window, &EveryKind::limit>(
             json::parse(bad_limit))
             .is_ok()));
    EveryKind refused{};
    ASSERT_TRUE(tokens.parse(bad_limit));
    EXPECT_FALSE(
        (payload_from_tokens<EveryKind, &EveryKind::names, &EveryKind::window, &EveryKind::limit>(
            tokens.tokens(), refused)));
    const std::string good = R"({"names":["a"],"window":{"from":"f","count":1},"text":7})";
    auto read =
        payload_from_json<EveryKind, &EveryKind::names, &EveryKind::window, &EveryKind::limit>(
            json::parse(good));
    ASSERT_TRUE(read.is_ok()) << "a bad field not named is not read";
    EXPECT_EQ(read->names, std::vector<std::string>{"a"});
    EXPECT_FALSE(read->limit.has_value());
    EXPECT_EQ(read->text, "");
}

// Members of one type are told apart by their pointers: a disclosure read for its principal and
// applications (the disclosure index's keys) reads neither its role nor its remote, text too.
TEST(PayloadTokens, MembersOfOneTypeAreToldApartByTheirPointers) {
    RecordedEvent event;
    event.type = std::string(PiiDisclosed::kType);
    event.schema = PiiDisclosed::kSchema;
    event.payload_json = R"({"principal":"sato","role":7,"remote":false,"applications":["a1"]})";
    auto read = decode<PiiDisclosed, &PiiDisclosed::principal, &PiiDisclosed::applications>(event);
    ASSERT_TRUE(read.is_ok()) << read.status().to_string();
    EXPECT_EQ(read->principal, "sato");
    EXPECT_EQ(read->applications, std::vector<std::string>{"a1"});
    EXPECT_EQ(read->role, "");
    EXPECT_FALSE(decode<PiiDisclosed>(event).is_ok()) << "a whole read refuses the role";
}

TEST(PayloadTokens, TheLastOfDuplicateKeysWinsAsInADocument) {
    JsonTokens tokens;
    const std::string text =
        R"({"window":{"from":"a","count":1,"from":"b"},"text":1,"text":"second",)"
        R"("flag":true,"size":1,"small":2,"offset":3,"names":[],"window":{"from":"c","count":2},)"
        R"("windows":[],"names":["n"]})";
    ASSERT_TRUE(tokens.parse(text));
    EveryKind payload{};
    ASSERT_TRUE(payload_from_tokens(tokens.tokens(), payload));
    EXPECT_EQ(payload.text, "second");
    EXPECT_EQ(payload.window.from, "c");
    EXPECT_EQ(payload.window.count, 2u);
    EXPECT_EQ(payload.names, std::vector<std::string>{"n"});
    EXPECT_EQ(encode_payload(payload),
              encode_payload(payload_from_json<EveryKind>(json::parse(text)).value()));
}

TEST(PayloadTokens, ANegativeNumberForAnUnsignedFieldOrAFloatForAnIntegerIsNotRead) {
    JsonTokens tokens;
    const std::string base = R"("text":"t","flag":true,"small":2,"offset":3,"names":[],)"
                             R"("window":{"from":"c","count":2},"windows":[])";
    EveryKind payload{};
    ASSERT_TRUE(tokens.parse("{" + base + R"(,"size":-1})"));
    EXPECT_FALSE(payload_from_tokens(tokens.tokens(), payload));
    ASSERT_TRUE(tokens.parse("{" + base + R"(,"size":1.0})"));
    EXPECT_FALSE(payload_from_tokens(tokens.tokens(), payload));
    ASSERT_TRUE(tokens.parse("{" + base + R"(,"size":18446744073709551615})"));
    ASSERT_TRUE(payload_from_tokens(tokens.tokens(), payload));
    EXPECT_EQ(payload.size, 18446744073709551615u);
    payload.limit = 1;  // a null must clear what was there
    ASSERT_TRUE(tokens.parse("{" + base + R"(,"size":5,"limit":null,"note":"x"})"));
    ASSERT_TRUE(payload_from_tokens(tokens.tokens(), payload));
    EXPECT_FALSE(payload.limit.has_value());
    EXPECT_EQ(payload.note, "x");
}

TEST(JsonTokens, ValuesFollowTheirContainerAndKeysPrecedeTheirValues) {
    JsonTokens tokens;
    ASSERT_TRUE(
        tokens.parse(R"({"a":[1,-2,18446744073709551615,2.5],"b\u00e9":{"c":null},"d":true})"));
    const auto& t = tokens.tokens();
    std::vector<Kind> kinds;
    for (const auto& token : t) kinds.push_back(token.kind);
    EXPECT_EQ(kinds, (std::vector<Kind>{Kind::object, Kind::key, Kind::array, Kind::signed_integer,
                                        Kind::signed_integer, Kind::unsigned_integer,
                                        Kind::floating, Kind::key, Kind::object, Kind::key,
                                        Kind::null, Kind::key, Kind::boolean}));
    ASSERT_EQ(t.size(), 13u);
    // Each container names the index one past its contents.
    EXPECT_EQ(t[0].end, 13u);
    EXPECT_EQ(t[2].end, 7u);
    EXPECT_EQ(t[8].end, 11u);
    EXPECT_EQ(after_json_value(t, 2), 7u);
    EXPECT_EQ(after_json_value(t, 12), 13u);
    EXPECT_EQ(t[1].text, "a");
    EXPECT_EQ(t[4].signed_integer, -2);
    EXPECT_EQ(t[5].unsigned_integer, 18446744073709551615u);
    EXPECT_EQ(t[7].text, "b\xc3\xa9");  // unescaped
    EXPECT_TRUE(t[12].boolean);
}

TEST(JsonTokens, AListGrownByALargeTextIsLetGoAtTheNextParse) {
    JsonTokens tokens;
    std::string zeros = "[0";
    for (int i = 0; i < 20000; ++i) zeros += ",0";
    ASSERT_TRUE(tokens.parse(zeros + "]"));
    EXPECT_EQ(tokens.tokens().size(), 20002u);
    ASSERT_TRUE(tokens.parse(R"({"a":1})"));
    EXPECT_EQ(tokens.tokens().size(), 3u);
    EXPECT_LE(tokens.tokens().capacity(), 4096u);
}

TEST(JsonTokens, RefusesWhatItDoesNotReadSoTheDocumentWayAnswers) {
    JsonTokens tokens;
    EXPECT_FALSE(tokens.parse("{"));
    EXPECT_FALSE(tokens.parse("{\"a\":\"\xff\"}"));
    EXPECT_FALSE(tokens.parse("[18446744073709551616]"));
    EXPECT_FALSE(tokens.parse("\"" + std::string(kMaxTokenizedBytes, 'x') + "\""));
    EXPECT_TRUE(tokens.parse("\"" + std::string(kMaxTokenizedBytes - 2, 'x') + "\""));
    // A refused text leaves no tokens of the one before.
    EXPECT_FALSE(tokens.parse("[1,"));
    EXPECT_TRUE(tokens.tokens().empty());
    auto decoded = decode<EveryKind>([] {
        RecordedEvent event;
        event.type = "EveryKind";
        event.schema = 1;
        event.payload_json = R"({"text":"t"})";
        return event;
    }());
    ASSERT_FALSE(decoded.is_ok());
    EXPECT_NE(decoded.status().message().find("has no field \"flag\""), std::string::npos)
        << decoded.status().message();
}

}  // namespace
}  // namespace kakitome::domain
