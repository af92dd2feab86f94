// Password-protected Office documents: the one entry point the rest of kakitome uses.
//
// decrypt_document() accepts an ECMA-376 encrypted file (a Compound File holding EncryptionInfo
// and EncryptedPackage) in agile or standard form. Errors carry a stable reason:
//   wrong_password (permission_denied), tampered_package (corruption),
//   not_encrypted_office_file / bad_container / unsupported_encryption (invalid_argument),
//   form_too_large, spin_count_too_high (resource_exhausted).
// The password is the user's text in UTF-8; Office hashes it as UTF-16LE.
// Thread-safe: no shared state. Each call costs one key derivation (spinCount hashes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "events/base/status.h"

namespace kakitome::office {

enum class EncryptionMethod { agile, standard };
const char* encryption_method_name(EncryptionMethod method);

struct DecryptionLimits {
    std::size_t max_package_bytes = 20 * 1024 * 1024;
    // The spinCount is chosen by whoever made the file and each spin costs a hash: 10,000,000
    // took 6.4 s per password try. Excel writes 100,000; above this the file is refused
    // (spin_count_too_high) before any hashing.
    std::uint32_t max_spin_count = 1'000'000;
};

struct DecryptedDocument {
    std::string package;  // the plain OOXML zip
    EncryptionMethod method = EncryptionMethod::agile;
    bool integrity_checked = false;  // agile with dataIntegrity; standard has none
};

Result<DecryptedDocument> decrypt_document(std::string_view file, std::string_view password,
                                           const DecryptionLimits& limits = {});

// Reads the container and the encryption parameters only (no key derivation, microseconds):
// ok, or the error decrypting would give before hashing (spin_count_too_high, bad_container,
// not_encrypted_office_file, ...). Intake refuses a costly form at the door with it.
Status check_encryption_cost(std::string_view file, const DecryptionLimits& limits = {});

// Checks only the password verifier, without decrypting the package: how intake decides which
// of several pending forms a password belongs to. ok, or wrong_password, or a file error.
Status check_password(std::string_view file, std::string_view password,
                      const DecryptionLimits& limits = {});

Result<std::string> encrypt_document(std::string_view package, std::string_view password,
                                     EncryptionMethod method = EncryptionMethod::agile,
                                     std::uint32_t spin_count = 100000);

}  // namespace kakitome::office
