// SHA-256 digests through OpenSSL EVP, and their lowercase hex form.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kakitome {

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest sha256(std::string_view bytes);
std::string to_hex(const std::uint8_t* bytes, std::size_t size);
inline std::string to_hex(const Sha256Digest& digest) {
    return to_hex(digest.data(), digest.size());
}
// Accepts exactly 64 lowercase or uppercase hex digits.
std::optional<Sha256Digest> sha256_from_hex(std::string_view hex);

}  // namespace kakitome
