#include "engine/office/standard_encryption.h"

namespace kakitome::office {

namespace {

constexpr std::uint32_t kSpinCount = 50000;
constexpr std::uint32_t kAes128 = 0x660e, kAes192 = 0x660f, kAes256 = 0x6610, kSha1 = 0x8004;
constexpr std::uint32_t kFlagCryptoApi = 0x04, kFlagAes = 0x20;

std::uint32_t u32(std::string_view bytes, std::size_t at) {
    std::uint32_t value = 0;
    for (int i = 3; i >= 0; --i)
        value = value << 8 | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
    return value;
}

Status bad_info(const std::string& message) {
    return Status::invalid_argument("standard EncryptionInfo: " + message)
        .with_reason("bad_container");
}

// 2.3.4.7: iterate, add the block number, then stretch to the key size with the 0x36/0x5c pads.
std::string derive_key(std::string_view salt, std::string_view password_utf16le,
                       std::uint32_t key_bits) {
    const std::string iterated =
        iterated_password_hash(HashAlgorithm::sha1, salt, password_utf16le, kSpinCount);
    const std::string final_hash = hash(HashAlgorithm::sha1, iterated, le32(0));
    std::string inner(64, '\x36'), outer(64, '\x5c');
    for (std::size_t i = 0; i < final_hash.size(); ++i) {
        inner[i] = static_cast<char>(inner[i] ^ final_hash[i]);
        outer[i] = static_cast<char>(outer[i] ^ final_hash[i]);
    }
    std::string stretched = hash(HashAlgorithm::sha1, inner) + hash(HashAlgorithm::sha1, outer);
    stretched.resize(key_bits / 8);
    return stretched;
}

}  // namespace

Result<StandardEncryptionInfo> parse_standard_encryption_info(std::string_view stream) {
    if (stream.size() < 12) return bad_info("too short");
    const std::uint32_t header_size = u32(stream, 8);
    if (header_size < 32 || header_size > 1024 || 12 + header_size + 4 > stream.size())
        return bad_info("header size does not fit");
    const std::string_view header = stream.substr(12, header_size);
    const std::uint32_t algorithm = u32(header, 8);
    const std::uint32_t hash_algorithm = u32(header, 12);
    StandardEncryptionInfo info;
    info.key_bits = u32(header, 16);
    if ((algorithm == kAes128 && info.key_bits != 128) ||
        (algorithm == kAes192 && info.key_bits != 192) ||
        (algorithm == kAes256 && info.key_bits != 256) ||
        (algorithm != kAes128 && algorithm != kAes192 && algorithm != kAes256) ||
        (hash_algorithm != kSha1 && hash_algorithm != 0)) {
        return Status::invalid_argument("only AES with SHA-1 standard encryption is supported")
            .with_reason("unsupported_encryption");
    }
    std::string_view verifier = stream.substr(12 + header_size);
    const std::uint32_t salt_size = u32(verifier, 0);
    if (salt_size != 16 || verifier.size() < 4 + 16 + 16 + 4 + 32)
        return bad_info("verifier does not fit");
    info.salt = std::string(verifier.substr(4, 16));
    info.encrypted_verifier = std::string(verifier.substr(20, 16));
    info.verifier_hash_size = u32(verifier, 36);
    if (info.verifier_hash_size != 20) return bad_info("verifier hash size is not 20");
    info.encrypted_verifier_hash = std::string(verifier.substr(40, 32));
    return info;
}

Result<std::string> standard_package_key(const StandardEncryptionInfo& info,
                                         std::string_view password_utf16le) {
    const std::string key = derive_key(info.salt, password_utf16le, info.key_bits);
    auto verifier = aes_ecb(false, key, info.encrypted_verifier);
    auto verifier_hash = aes_ecb(false, key, info.encrypted_verifier_hash);
    if (!verifier.is_ok() || !verifier_hash.is_ok())
        return bad_info("verifier is not whole AES blocks");
    if (verifier_hash->compare(0, 20, hash(HashAlgorithm::sha1, verifier.value())) != 0) {
        return Status::permission_denied("the password does not open this document")
            .with_reason("wrong_password");
    }
    return key;
}

Result<std::string> standard_decrypt_package(std::string_view key,
                                             std::string_view encrypted_package) {
    const std::uint64_t size = read_le64(encrypted_package);
    auto plain = aes_ecb(false, key, encrypted_package.substr(8));
    if (!plain.is_ok()) {
        return Status::invalid_argument("encrypted package is not a whole number of AES blocks")
            .with_reason("bad_container");
    }
    plain->resize(static_cast<std::size_t>(size));
    return plain;
}

Result<EncryptedStreams> standard_encrypt(std::string_view package,
                                          std::string_view password_utf16le) {
    StandardEncryptionInfo info;
    info.salt = random_string(16);
    const std::string key = derive_key(info.salt, password_utf16le, 128);
    const std::string verifier = random_string(16);
    std::string verifier_hash = hash(HashAlgorithm::sha1, verifier);
    verifier_hash.resize(32, '\0');
    auto encrypted_verifier = aes_ecb(true, key, verifier);
    auto encrypted_verifier_hash = aes_ecb(true, key, verifier_hash);
    std::string padded(package);
    padded.resize((padded.size() + 15) / 16 * 16, '\0');
    auto encrypted = aes_ecb(true, key, padded);
    if (!encrypted_verifier.is_ok() || !encrypted_verifier_hash.is_ok() || !encrypted.is_ok()) {
        return Status::internal("AES failed");
    }

    const std::string provider = "Microsoft Enhanced RSA and AES Cryptographic Provider";
    std::string csp_name;
    for (char c : provider) csp_name += std::string{c, '\0'};
    csp_name += std::string(2, '\0');
    const std::string header = le32(kFlagCryptoApi | kFlagAes) + le32(0) + le32(kAes128) +
                               le32(kSha1) + le32(128) + le32(0x18) + le32(0) + le32(0) + csp_name;
    EncryptedStreams streams;
    streams.encryption_info = std::string("\x04\x00\x02\x00", 4) + le32(kFlagCryptoApi | kFlagAes) +
                              le32(static_cast<std::uint32_t>(header.size())) + header + le32(16) +
                              info.salt + encrypted_verifier.value() + le32(20) +
                              encrypted_verifier_hash.value();
    streams.encrypted_package = le64(package.size()) + encrypted.value();
    return streams;
}

}  // namespace kakitome::office
