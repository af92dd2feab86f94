// SHA-256 through OpenSSL's one-shot functions gives the FIPS 180-2 digests, in one part or in
// several; hex round-trips: to_hex writes lowercase, sha256_from_hex takes exactly 64 digits of
// either case and nothing else.
#include "events/base/sha256.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace kakitome {
namespace {

TEST(Sha256, KnownDigestsInOnePartOrSeveral) {
    EXPECT_EQ(to_hex(sha256("")),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(to_hex(sha256("abc")),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    EXPECT_EQ(to_hex(sha256(two_blocks)),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(sha256_of_parts({"abcdbcdecdefdefg", "", "efghfghighijhijkijkljklmklmnlmnomnopnopq"}),
              sha256(two_blocks));
    Sha256Hasher streamed;
    streamed.update("ab");
    streamed.update("c");
    EXPECT_EQ(streamed.finish(), sha256("abc"));
}

TEST(Sha256, HexRoundTripsAndAcceptsOnlySixtyFourHexDigits) {
    std::mt19937 random(16);
    for (int i = 0; i < 200; ++i) {
        Sha256Digest digest{};
        for (auto& byte : digest) byte = static_cast<std::uint8_t>(random());
        const std::string hex = to_hex(digest);
        ASSERT_EQ(hex.size(), 64u);
        EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
        EXPECT_EQ(sha256_from_hex(hex), digest);
        std::string upper = hex;
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        EXPECT_EQ(sha256_from_hex(upper), digest);
    }
    const std::string valid(64, 'a');
    EXPECT_TRUE(sha256_from_hex(valid).has_value());
    EXPECT_FALSE(sha256_from_hex(valid.substr(1)).has_value());
    EXPECT_FALSE(sha256_from_hex(valid + "a").has_value());
    // Every byte that is not a hex digit is refused, in either half of a byte.
    for (int c = 0; c < 256; ++c) {
        if (std::isxdigit(c)) continue;
        for (std::size_t at : {std::size_t{0}, std::size_t{1}, std::size_t{63}}) {
            std::string bad = valid;
            bad[at] = static_cast<char>(c);
            EXPECT_FALSE(sha256_from_hex(bad).has_value()) << "byte " << c << " at " << at;
        }
    }
}

}  // namespace
}  // namespace kakitome
