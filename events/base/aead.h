// AES-256-GCM sealing (OpenSSL EVP) for data at rest: blobs now, PII fields later.
// Sealed form: 12-byte random nonce || ciphertext || 16-byte tag. The associated data is
// authenticated but not stored; opening with different associated data fails.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "events/base/status.h"

namespace kakitome {

using AeadKey = std::array<std::uint8_t, 32>;

Result<std::string> aead_seal(const AeadKey& key, std::string_view plaintext,
                              std::string_view associated_data);
// corruption when the tag does not verify (wrong key, tampered bytes, wrong associated data).
Result<std::string> aead_open(const AeadKey& key, std::string_view sealed,
                              std::string_view associated_data);

// HKDF-SHA-256 of the master key for one purpose, so each use gets an independent key.
AeadKey derive_key(const AeadKey& master, std::string_view purpose);

// Fills the buffer from OpenSSL's CSPRNG; aborts the process if it cannot (no safe fallback).
void random_bytes(std::uint8_t* out, std::size_t size);
// `count` random bytes as lowercase hex, or as unpadded base64url (RFC 4648 §5, safe in URLs):
// the ids and tokens kakitome hands out.
std::string random_hex(std::size_t count);
std::string random_base64url(std::size_t count);

}  // namespace kakitome
