// canonicalize_json's one-pass writer against its definition (parse into a document, print it):
// the same text or the same error for every input, the tricky ones written out and a few
// thousand random documents printed with random key order and spacing.
#include "events/canonical_json.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace kakitome {
namespace {

void expect_same(const std::string& text) {
    const auto fast = canonicalize_json(text);
    const auto defined = canonicalize_json_through_document(text);
    ASSERT_EQ(fast.is_ok(), defined.is_ok()) << text;
    if (fast.is_ok()) {
        EXPECT_EQ(fast.value(), defined.value()) << text;
        // Canonical text is sorted: it takes the one-pass way, and comes back unchanged.
        EXPECT_EQ(canonicalize_json(defined.value()).value(), defined.value()) << text;
    } else
        EXPECT_EQ(fast.status().message(), defined.status().message()) << text;
}

TEST(CanonicalJson, AgreesWithTheDocumentOnTrickyTexts) {
    const std::vector<std::string> texts = {
        R"({"a":1,"b":[true,false,null],"c":{"d":"e"}})",
        " { \"a\" : 1 ,\n\t\"b\" : [ 1 , 2 ] } ",
        R"({"b":1,"a":2})",
        R"({"a":1,"a":2})",
        R"({"a":{"y":1,"x":2},"b":3})",
        R"({"":1,"a":{},"b":[],"c":[{}],"d":[[]]})",
        R"({"é":1,"e":2,"z":3})",
        R"({"\u00e9":"\ud83d\ude00","x":"\/\b\f\n\r\t\"\\"})",
        R"({"control":"\u0000\u001f\u007f"})",
        "{\"raw\":\"申請 ✓\"}",
        R"({"n":-0,"m":0,"big":18446744073709551615,"small":-9223372036854775808})",
        R"({"float":1.5})",
        R"({"exp":1E2,"neg":-0.0,"tiny":1e-300})",
        R"({"huge":18446744073709551616})",
        R"([1,2,3])",
        R"("text")",
        "42",
        "true",
        "null",
        "",
        "{",
        "[1,]",
        R"({"a":1}x)",
        R"({"a" 1})",
        "\"\xff\"",
        R"("\ud800")",
        R"({"a":01})",
        "{\"a\":\"tab\there\"}",
        // Where simdjson and nlohmann part ways; the document's answer must win.
        R"("\udc00")",
        R"({"a":"x\udfffy"})",
        R"({"a":"\ud800\u0041"})",
        "\xef\xbb\xbf{\"a\":1}",
        R"({"a":1,"b":-0,"c":-9223372036854775809})",
        R"({"a":[1,2],"b":{"c":true}} )",
    };
    for (const auto& text : texts) expect_same(text);
}

// Texts past the size a thread's kept parser takes, and nesting past simdjson's depth.
TEST(CanonicalJson, AgreesWithTheDocumentOnLargeAndDeepTexts) {
    std::string large = "{";
    for (int i = 0; i < 20000; ++i) {
        char key[16];
        std::snprintf(key, sizeof key, "k%06d", i);
        large += std::string(i > 0 ? "," : "") + "\"" + key + "\":\"v\u00e9\"";
    }
    large += "}";
    ASSERT_GT(large.size(), 64u * 1024u);
    expect_same(large);
    expect_same("[" + large + "," + large + "]");
    expect_same(std::string(3000, '[') + std::string(3000, ']'));
    expect_same("{\"a\":" + std::string(1500, '[') + "1" + std::string(1500, ']') + "}");
}

std::string nested(int levels, const std::string& inner) {
    std::string text;
    for (int level = 0; level < levels; ++level) text += level % 2 == 0 ? "[" : "{\"k\":";
    text += inner;
    for (int level = levels - 1; level >= 0; --level) text += level % 2 == 0 ? "]" : "}";
    return text;
}

// Printing recurses once per level: a few hundred KiB of "[" used to exhaust the stack (a
// segmentation fault at 100,000 levels). Both ways refuse past the limit and agree on where it is,
// for texts that take the one-pass way (ordered) and those that take the document's (a float, keys
// out of order, an integer past 64 bits that simdjson refuses).
TEST(CanonicalJson, RefusesTextsNestedDeeperThanTheLimit) {
    for (const std::string inner : {"1", "1.5", "{\"b\":1,\"a\":2}", "-9223372036854775809"}) {
        const int inner_levels = inner.front() == '{' ? 1 : 0;
        const std::string at_limit = nested(kMaxJsonNesting - inner_levels, inner);
        const std::string past_limit = nested(kMaxJsonNesting - inner_levels + 1, inner);
        EXPECT_TRUE(canonicalize_json(at_limit).is_ok()) << inner;
        expect_same(at_limit);
        const auto refused = canonicalize_json(past_limit);
        ASSERT_FALSE(refused.is_ok()) << inner;
        EXPECT_EQ(refused.status().code(), StatusCode::invalid_argument);
        EXPECT_NE(refused.status().message().find("nested deeper than 1024"), std::string::npos)
            << refused.status().message();
        expect_same(past_limit);
    }
    const auto huge =
        canonicalize_json("{\"a\":" + std::string(200000, '[') + std::string(200000, ']') + "}");
    ASSERT_FALSE(huge.is_ok());
    EXPECT_NE(huge.status().message().find("nested deeper"), std::string::npos);
    // A long array of objects whose keys are out of order takes the document's way in linear
    // time: a parse callback made it quadratic (40,000 objects 1.4 s, a million about 15 minutes,
    // past the test's time limit).
    std::string many = "[";
    for (int i = 0; i < 1000000; ++i) many += i > 0 ? R"(,{"b":0,"a":0})" : R"({"b":0,"a":0})";
    many += "]";
    const auto sorted = canonicalize_json(many);
    ASSERT_TRUE(sorted.is_ok()) << sorted.status().to_string();
    EXPECT_EQ(sorted->substr(0, 28), R"([{"a":0,"b":0},{"a":0,"b":0})");
    // A lower limit is exact too.
    EXPECT_TRUE(canonicalize_json("[[1]]", 2).is_ok());
    EXPECT_FALSE(canonicalize_json("[[[1]]]", 2).is_ok());
    EXPECT_FALSE(canonicalize_json_through_document("[[[1.5]]]", 2).is_ok());
    EXPECT_TRUE(canonicalize_json_through_document("{\"a\":[1.5]}", 2).is_ok());
}

TEST(CanonicalJson, SortsKeysAndStripsSpaceAsTheDocumentDoes) {
    EXPECT_EQ(
        canonicalize_json(" {\"b\": [1, 2], \"a\": {\"d\": null, \"c\": \"\\u00e9\"}} ").value(),
        "{\"a\":{\"c\":\"é\",\"d\":null},\"b\":[1,2]}");
    EXPECT_EQ(canonicalize_json(R"({"a":1,"a":2})").value(), R"({"a":2})") << "the last one wins";
    EXPECT_FALSE(canonicalize_json("{\"a\":").is_ok());
}

// Random documents: nested objects and arrays, keys with non-ASCII, quotes and control
// characters, every kind of scalar; printed with keys in random order (duplicates sometimes) and
// random whitespace.
class RandomJson {
  public:
    explicit RandomJson(unsigned seed) : random_(seed) {}
    std::string document() { return value(0); }

  private:
    int below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }
    std::string space() {
        static const char* kSpaces[] = {"", "", "", " ", "\n", "\t", "  "};
        return kSpaces[below(7)];
    }
    std::string string_literal() {
        static const std::vector<std::string> kPieces = {
            "a",   "b",    "z",    "A",       "0",       "é",   "申", "😀",
            "\\n", "\\\"", "\\\\", "\\u0001", "\\u00e9", "\\/", " ",  "\\ud83d\\ude00",
            "~",   "\x7f"};
        std::string text = "\"";
        for (int i = below(5); i > 0; --i) text += kPieces[below(static_cast<int>(kPieces.size()))];
        return text + "\"";
    }
    std::string scalar() {
        switch (below(9)) {
            case 0:
                return "null";
            case 1:
                return "true";
            case 2:
                return "false";
            case 3:
                return std::to_string(below(1000) - 500);
            case 4:
                return "18446744073709551615";
            case 5:
                return "-9223372036854775808";
            case 6:
                return std::to_string(below(100)) + "." + std::to_string(below(100));
            case 7:
                return "1e" + std::to_string(below(40));
            default:
                return string_literal();
        }
    }
    std::string value(int depth) {
        const int kind = depth > 4 ? 2 : below(3);
        if (kind == 2) return scalar();
        std::string text = kind == 0 ? "{" : "[";
        const int count = below(5);
        for (int i = 0; i < count; ++i) {
            if (i > 0) text += space() + "," + space();
            if (kind == 0) text += string_literal() + space() + ":" + space();
            text += value(depth + 1);
        }
        return space() + text + space() + (kind == 0 ? "}" : "]") + space();
    }
    std::mt19937 random_;
};

TEST(CanonicalJson, AgreesWithTheDocumentOnRandomDocuments) {
    RandomJson generator(20261128);
    for (int i = 0; i < 5000; ++i) {
        const std::string text = generator.document();
        expect_same(text);
        if (::testing::Test::HasFailure()) break;
    }
}

}  // namespace
}  // namespace kakitome
