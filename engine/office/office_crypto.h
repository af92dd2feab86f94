// Cryptographic building blocks of MS-OFFCRYPTO, all through OpenSSL EVP: the hash algorithms
// Office names, its iterated password hash, AES in CBC and ECB without padding, HMAC, base64,
// and passwords as UTF-16LE. Byte strings are std::string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "events/base/base64.h"
#include "events/base/status.h"

namespace kakitome::office {

enum class HashAlgorithm { sha1, sha256, sha384, sha512 };

// "SHA1", "SHA-1", "SHA256", "SHA384", "SHA512" (as Office writes them); not_found otherwise.
Result<HashAlgorithm> hash_algorithm_named(std::string_view name);
const char* hash_algorithm_name(HashAlgorithm algorithm);
std::size_t hash_size(HashAlgorithm algorithm);

std::string hash(HashAlgorithm algorithm, std::string_view first, std::string_view second = {});

// H0 = H(salt || password); Hn = H(LE32(n-1) || Hn-1) for spin_count rounds (2.3.4.7, 2.3.4.11).
// The hot loop of every decryption: one digest context and one fetched algorithm are reused.
std::string iterated_password_hash(HashAlgorithm algorithm, std::string_view salt,
                                   std::string_view password_utf16le, std::uint32_t spin_count);

// AES with a 128/192/256-bit key; data must be a whole number of 16-byte blocks.
Result<std::string> aes_cbc(bool encrypt, std::string_view key, std::string_view iv,
                            std::string_view data);
Result<std::string> aes_ecb(bool encrypt, std::string_view key, std::string_view data);

std::string hmac(HashAlgorithm algorithm, std::string_view key, std::string_view data);

using kakitome::base64_decode;
using kakitome::base64_encode;

// invalid_argument when the text is not valid UTF-8.
Result<std::string> utf8_to_utf16le(std::string_view utf8);

std::string le32(std::uint32_t value);
std::string le64(std::uint64_t value);
// The little-endian integer in the first 8 bytes (the EncryptedPackage size prefix); the caller
// has checked there are 8.
std::uint64_t read_le64(std::string_view bytes);
std::string random_string(std::size_t size);

// Fit a derived hash to a key length: truncate, or pad with 0x36 bytes (2.3.4.11).
std::string fit_key(std::string derived, std::size_t key_bytes);

}  // namespace kakitome::office
