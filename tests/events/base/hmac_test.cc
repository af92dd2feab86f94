// HMAC-SHA-256 against RFC 4231's test cases (typed in from the RFC, not computed here).
#include "events/base/hmac.h"

#include <gtest/gtest.h>

#include <string>

#include "events/base/sha256.h"

namespace kakitome {
namespace {

std::string hex(const std::string& bytes) {
    return to_hex(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

TEST(Hmac, Rfc4231TestCase2) {
    EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Hmac, Rfc4231TestCase6KeyLongerThanABlock) {
    EXPECT_EQ(hex(hmac_sha256(std::string(131, '\xaa'),
                              "Test Using Larger Than Block-Size Key - Hash Key First")),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

}  // namespace
}  // namespace kakitome
