// SHA-256 digests through OpenSSL, and their lowercase hex form.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace kakitome {

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest sha256(std::string_view bytes);
// The digest of the parts' concatenation, without copying them together.
Sha256Digest sha256_of_parts(std::initializer_list<std::string_view> parts);

// The same digest over bytes that arrive in pieces (a file read block by block).
class Sha256Hasher {
  public:
    Sha256Hasher();
    ~Sha256Hasher();
    Sha256Hasher(const Sha256Hasher&) = delete;
    Sha256Hasher& operator=(const Sha256Hasher&) = delete;
    void update(std::string_view bytes);
    Sha256Digest finish();  // once

  private:
    ::evp_md_ctx_st* context_;
};
std::string to_hex(const std::uint8_t* bytes, std::size_t size);
inline std::string to_hex(const Sha256Digest& digest) {
    return to_hex(digest.data(), digest.size());
}
// Accepts exactly 64 lowercase or uppercase hex digits.
std::optional<Sha256Digest> sha256_from_hex(std::string_view hex);

}  // namespace kakitome
