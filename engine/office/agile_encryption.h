// ECMA-376 agile encryption (MS-OFFCRYPTO 2.3.4.10-2.3.4.15): the XML EncryptionInfo, password
// verification, package decryption in 4096-byte segments, the dataIntegrity HMAC, and encryption
// as Excel does it (AES-256-CBC, SHA-512, 100,000 spins by default).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/office/office_crypto.h"
#include "events/base/status.h"

namespace kakitome::office {

struct AgileEncryptionInfo {
    // keyData: how the package itself is encrypted.
    std::string key_data_salt;
    HashAlgorithm key_data_hash = HashAlgorithm::sha512;
    std::uint32_t key_data_block_size = 16;
    std::uint32_t key_data_key_bits = 256;
    // dataIntegrity; empty when the file has none.
    std::string encrypted_hmac_key;
    std::string encrypted_hmac_value;
    // The password key encryptor.
    std::uint32_t spin_count = 100000;
    std::string password_salt;
    HashAlgorithm password_hash = HashAlgorithm::sha512;
    std::uint32_t password_key_bits = 256;
    std::uint32_t password_block_size = 16;
    std::string encrypted_verifier_hash_input;
    std::string encrypted_verifier_hash_value;
    std::string encrypted_key_value;
};

// Parses the EncryptionInfo stream (version 4.4 header + XML). Rejects spin counts above
// max_spin_count: the count is attacker-chosen and each spin costs a hash.
Result<AgileEncryptionInfo> parse_agile_encryption_info(std::string_view stream,
                                                        std::uint32_t max_spin_count);

// The package key, after checking the password verifier; permission_denied/wrong_password when
// the password is wrong.
Result<std::string> agile_package_key(const AgileEncryptionInfo& info,
                                      std::string_view password_utf16le);

// Checks the dataIntegrity HMAC over the whole EncryptedPackage stream (corruption/
// tampered_package when it fails), then decrypts. The caller has checked the declared size.
Result<std::string> agile_decrypt_package(const AgileEncryptionInfo& info,
                                          std::string_view package_key,
                                          std::string_view encrypted_package);

struct EncryptedStreams {
    std::string encryption_info;
    std::string encrypted_package;
};
Result<EncryptedStreams> agile_encrypt(std::string_view package, std::string_view password_utf16le,
                                       std::uint32_t spin_count);

}  // namespace kakitome::office
