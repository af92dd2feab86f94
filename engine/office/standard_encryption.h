// ECMA-376 standard encryption (MS-OFFCRYPTO 2.3.4.5-2.3.4.9): binary EncryptionInfo,
// AES-ECB with a SHA-1 key derivation of 50,000 spins. It has no integrity check: a tampered
// package decrypts to garbage, which the xlsx reader then rejects.
#pragma once

#include <string>
#include <string_view>

#include "engine/office/agile_encryption.h"
#include "events/base/status.h"

namespace kakitome::office {

struct StandardEncryptionInfo {
    std::uint32_t key_bits = 128;
    std::string salt;
    std::string encrypted_verifier;
    std::uint32_t verifier_hash_size = 20;
    std::string encrypted_verifier_hash;
};

Result<StandardEncryptionInfo> parse_standard_encryption_info(std::string_view stream);
// The AES key after checking the verifier; permission_denied/wrong_password when wrong.
Result<std::string> standard_package_key(const StandardEncryptionInfo& info,
                                         std::string_view password_utf16le);
Result<std::string> standard_decrypt_package(std::string_view key,
                                             std::string_view encrypted_package);
// AES-128 with SHA-1, as Excel 2007 wrote it.
Result<EncryptedStreams> standard_encrypt(std::string_view package,
                                          std::string_view password_utf16le);

}  // namespace kakitome::office
