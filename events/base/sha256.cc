// One-shot digests go through OpenSSL's SHA256_* functions, deprecated since OpenSSL 3 in favour
// of EVP: EVP's provider dispatch costs ~100 ns per digest, more than hashing a 65-byte Merkle
// node and a fifth of hashing a 500-byte event, and the ledger and a verifying replay hash
// millions of them (docs/performance.md, "Incident inquiry, replay and ledger"). The same
// implementation (SHA-NI where the CPU has it) runs underneath both. Streams of unknown length
// (Sha256Hasher) stay on EVP.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "events/base/sha256.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <new>
#include <stdexcept>

namespace kakitome {

Sha256Digest sha256_of_parts(std::initializer_list<std::string_view> parts) {
    SHA256_CTX context;
    SHA256_Init(&context);
    for (std::string_view part : parts) SHA256_Update(&context, part.data(), part.size());
    Sha256Digest digest{};
    SHA256_Final(digest.data(), &context);
    return digest;
}

Sha256Digest sha256(std::string_view bytes) {
    return sha256_of_parts({bytes});
}

Sha256Hasher::Sha256Hasher() : context_(EVP_MD_CTX_new()) {
    if (context_ == nullptr || EVP_DigestInit_ex(context_, EVP_sha256(), nullptr) != 1)
        throw std::bad_alloc();
}

Sha256Hasher::~Sha256Hasher() {
    EVP_MD_CTX_free(context_);
}

void Sha256Hasher::update(std::string_view bytes) {
    EVP_DigestUpdate(context_, bytes.data(), bytes.size());
}

Sha256Digest Sha256Hasher::finish() {
    Sha256Digest digest{};
    unsigned int size = 0;
    EVP_DigestFinal_ex(context_, digest.data(), &size);
    return digest;
}

std::string to_hex(const std::uint8_t* bytes, std::size_t size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(size * 2, '0');
    for (std::size_t i = 0; i < size; ++i) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 0x0f];
    }
    return out;
}

namespace {

// The value of each byte as a hex digit, -1 for any other byte: a table, because a replay parses
// the previous hash of every event it reads (branching per digit was 4% of a first start's fold).
constexpr std::array<std::int8_t, 256> kHexValues = [] {
    std::array<std::int8_t, 256> values{};
    values.fill(-1);
    for (int c = '0'; c <= '9'; ++c)
        values[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - '0');
    for (int c = 'a'; c <= 'f'; ++c) {
        values[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - 'a' + 10);
        values[static_cast<std::size_t>(c - 'a' + 'A')] = static_cast<std::int8_t>(c - 'a' + 10);
    }
    return values;
}();

int hex_value(char c) {
    return kHexValues[static_cast<unsigned char>(c)];
}

}  // namespace

std::optional<Sha256Digest> sha256_from_hex(std::string_view hex) {
    Sha256Digest digest{};
    if (hex.size() != digest.size() * 2) return std::nullopt;
    for (std::size_t i = 0; i < digest.size(); ++i) {
        const int high = hex_value(hex[2 * i]);
        const int low = hex_value(hex[2 * i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        digest[i] = static_cast<std::uint8_t>(high << 4 | low);
    }
    return digest;
}

}  // namespace kakitome
