// The hot-path JSON helpers must agree byte for byte with nlohmann::json, which defines the
// canonical form. Random byte strings (seeded, printed on failure) plus the classic edge cases.
#include "events/base/json_text.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace kakitome {
namespace {

bool nlohmann_accepts(const std::string& text) {
    try {
        (void)nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
        return true;
    } catch (const nlohmann::json::exception&) {
        return false;
    }
}

void expect_agreement(const std::string& text) {
    const bool valid = is_valid_utf8(text);
    ASSERT_EQ(valid, nlohmann_accepts(text))
        << nlohmann::json(text).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
    if (!valid) return;
    std::string ours;
    append_json_string(ours, text);
    EXPECT_EQ(ours, nlohmann::json(text).dump());
}

TEST(JsonText, EdgeCasesAgreeWithNlohmann) {
    for (const char* text :
         {"", "plain", "申請 PR 動画", "\x7f", "\x01\x1f\"\\/", "\xc0\x80", "\xed\xa0\x80",
          "\xf4\x90\x80\x80", "\xf0\x9f\x98\x80", "\xe3\x81", "\xff", "\xc2\xa0", "\xef\xbb\xbf"}) {
        expect_agreement(text);
    }
}

TEST(JsonText, RandomBytesAgreeWithNlohmann) {
    const unsigned seed = std::random_device{}();
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 random(seed);
    // Bias towards bytes that matter: controls, ASCII, continuation and lead bytes.
    const unsigned char interesting[] = {0x00, 0x08, 0x1f, 0x22, 0x5c, 0x41, 0x7f, 0x80, 0xbf,
                                         0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};
    std::uniform_int_distribution<int> length(0, 12), pick(0, sizeof interesting - 1), any(0, 255);
    for (int round = 0; round < 20000; ++round) {
        std::string text;
        for (int i = length(random); i > 0; --i) {
            text.push_back(static_cast<char>(round % 2 ? interesting[pick(random)] : any(random)));
        }
        expect_agreement(text);
        if (::testing::Test::HasFailure()) return;
    }
}

}  // namespace
}  // namespace kakitome
