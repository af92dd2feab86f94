#include "engine/office/agile_encryption.h"

#include <algorithm>
#include "engine/xml_names.h"

#include <pugixml.hpp>

#include <cstring>

namespace kakitome::office {

namespace {

using xml::child_named;
using xml::local_name;

// Block keys of MS-OFFCRYPTO 2.3.4.11-2.3.4.14.
constexpr char kVerifierInputBlock[] = "\xfe\xa7\xd2\x76\x3b\x4b\x9e\x79";
constexpr char kVerifierValueBlock[] = "\xd7\xaa\x0f\x6d\x30\x61\x34\x4e";
constexpr char kKeyValueBlock[] = "\x14\x6e\x0b\xe7\xab\xac\xd0\xd6";
constexpr char kHmacKeyBlock[] = "\x5f\xb2\xad\x01\x0c\xb9\xe1\xf6";
constexpr char kHmacValueBlock[] = "\xa0\x67\x7f\x02\xb2\x2c\x84\x33";
constexpr std::size_t kSegmentBytes = 4096;

std::string_view block(const char (&key)[9]) {
    return {key, 8};
}

Status bad_info(const std::string& message) {
    return Status::invalid_argument("agile EncryptionInfo: " + message)
        .with_reason("bad_container");
}

Result<std::string> base64_attribute(pugi::xml_node node, const char* name) {
    pugi::xml_attribute attribute = node.attribute(name);
    if (!attribute) return bad_info(std::string("missing ") + name);
    auto decoded = base64_decode(attribute.value());
    if (!decoded.is_ok()) return bad_info(std::string(name) + " is not base64");
    return decoded;
}

// A decimal number of at most 10 digits, nothing else: pugixml's as_ullong reads "-1" as 0
// (which made a spinCount of -1 a wrong password instead of a bad file).
Result<std::uint64_t> decimal_attribute(pugi::xml_node node, const char* name) {
    pugi::xml_attribute attribute = node.attribute(name);
    if (!attribute) return bad_info(std::string("missing ") + name);
    const std::string_view text = attribute.value();
    if (text.empty() || text.size() > 10 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return bad_info(std::string(name) + " is not a decimal number");
    return std::stoull(std::string(text));
}

Result<std::uint32_t> number_attribute(pugi::xml_node node, const char* name, std::uint32_t low,
                                       std::uint32_t high) {
    auto value = decimal_attribute(node, name);
    if (!value.is_ok()) return value.status();
    if (*value < low || *value > high) return bad_info(std::string(name) + " is out of range");
    return static_cast<std::uint32_t>(*value);
}

Result<std::uint32_t> spin_count_attribute(pugi::xml_node node, std::uint32_t max_spin_count) {
    auto value = decimal_attribute(node, "spinCount");
    if (!value.is_ok()) return value.status();
    if (*value > max_spin_count)
        return Status::resource_exhausted("the form's spinCount is " + std::to_string(*value) +
                                          "; at most " + std::to_string(max_spin_count) +
                                          " is accepted (Excel writes 100000)")
            .with_reason("spin_count_too_high");
    return static_cast<std::uint32_t>(*value);
}

Status check_cipher(pugi::xml_node node) {
    if (std::strcmp(node.attribute("cipherAlgorithm").value(), "AES") != 0 ||
        std::strcmp(node.attribute("cipherChaining").value(), "ChainingModeCBC") != 0) {
        return Status::invalid_argument("only AES in CBC mode is supported")
            .with_reason("unsupported_encryption");
    }
    return Status::ok();
}

// H(final || blockKey), fitted to the key length.
std::string derived_key(HashAlgorithm algorithm, std::string_view final_hash,
                        std::string_view block_key, std::uint32_t key_bits) {
    return fit_key(hash(algorithm, final_hash, block_key), key_bits / 8);
}

std::string segment_iv(const AgileEncryptionInfo& info, std::string_view block_key) {
    return fit_key(hash(info.key_data_hash, info.key_data_salt, block_key),
                   info.key_data_block_size);
}

std::string pad_to_block(std::string data, std::size_t block_size) {
    data.resize((data.size() + block_size - 1) / block_size * block_size, '\0');
    return data;
}

}  // namespace

Result<AgileEncryptionInfo> parse_agile_encryption_info(std::string_view stream,
                                                        std::uint32_t max_spin_count) {
    if (stream.size() < 8) return bad_info("too short");
    pugi::xml_document document;
    const auto parsed = document.load_buffer(stream.data() + 8, stream.size() - 8,
                                             pugi::parse_default, pugi::encoding_utf8);
    if (!parsed) return bad_info(std::string("XML does not parse: ") + parsed.description());
    pugi::xml_node encryption = child_named(document, "encryption");
    pugi::xml_node key_data = child_named(encryption, "keyData");
    pugi::xml_node key_encryptors = child_named(encryption, "keyEncryptors");
    if (!key_data || !key_encryptors) return bad_info("keyData or keyEncryptors missing");

    pugi::xml_node password_key;
    for (pugi::xml_node encryptor : key_encryptors.children()) {
        if (std::strcmp(encryptor.attribute("uri").value(),
                        "http://schemas.microsoft.com/office/2006/keyEncryptor/password") == 0) {
            password_key = child_named(encryptor, "encryptedKey");
        }
    }
    if (!password_key) {
        return Status::invalid_argument("the document is not encrypted with a password")
            .with_reason("unsupported_encryption");
    }
    KAKITOME_RETURN_IF_ERROR(check_cipher(key_data));
    KAKITOME_RETURN_IF_ERROR(check_cipher(password_key));

    AgileEncryptionInfo info;
    auto take = [](auto result, auto& into) -> Status {
        if (!result.is_ok()) return result.status();
        into = std::move(result).value();
        return Status::ok();
    };
    KAKITOME_RETURN_IF_ERROR(take(base64_attribute(key_data, "saltValue"), info.key_data_salt));
    KAKITOME_RETURN_IF_ERROR(take(hash_algorithm_named(key_data.attribute("hashAlgorithm").value()),
                                  info.key_data_hash));
    KAKITOME_RETURN_IF_ERROR(
        take(number_attribute(key_data, "blockSize", 16, 16), info.key_data_block_size));
    KAKITOME_RETURN_IF_ERROR(
        take(number_attribute(key_data, "keyBits", 128, 256), info.key_data_key_bits));
    if (pugi::xml_node integrity = child_named(encryption, "dataIntegrity")) {
        KAKITOME_RETURN_IF_ERROR(
            take(base64_attribute(integrity, "encryptedHmacKey"), info.encrypted_hmac_key));
        KAKITOME_RETURN_IF_ERROR(
            take(base64_attribute(integrity, "encryptedHmacValue"), info.encrypted_hmac_value));
    }
    KAKITOME_RETURN_IF_ERROR(
        take(spin_count_attribute(password_key, max_spin_count), info.spin_count));
    KAKITOME_RETURN_IF_ERROR(take(base64_attribute(password_key, "saltValue"), info.password_salt));
    KAKITOME_RETURN_IF_ERROR(take(
        hash_algorithm_named(password_key.attribute("hashAlgorithm").value()), info.password_hash));
    KAKITOME_RETURN_IF_ERROR(
        take(number_attribute(password_key, "keyBits", 128, 256), info.password_key_bits));
    KAKITOME_RETURN_IF_ERROR(
        take(number_attribute(password_key, "blockSize", 16, 16), info.password_block_size));
    KAKITOME_RETURN_IF_ERROR(take(base64_attribute(password_key, "encryptedVerifierHashInput"),
                                  info.encrypted_verifier_hash_input));
    KAKITOME_RETURN_IF_ERROR(take(base64_attribute(password_key, "encryptedVerifierHashValue"),
                                  info.encrypted_verifier_hash_value));
    KAKITOME_RETURN_IF_ERROR(
        take(base64_attribute(password_key, "encryptedKeyValue"), info.encrypted_key_value));
    if (info.key_data_key_bits % 64 != 0 || info.password_key_bits % 64 != 0)
        return bad_info("keyBits is not an AES key size");
    if (info.password_salt.size() < 16 || info.key_data_salt.size() < 16)
        return bad_info("salt shorter than 16 bytes");
    return info;
}

Result<std::string> agile_package_key(const AgileEncryptionInfo& info,
                                      std::string_view password_utf16le) {
    const std::string final_hash = iterated_password_hash(info.password_hash, info.password_salt,
                                                          password_utf16le, info.spin_count);
    const std::string iv = info.password_salt.substr(0, info.password_block_size);
    auto verifier_input = aes_cbc(false,
                                  derived_key(info.password_hash, final_hash,
                                              block(kVerifierInputBlock), info.password_key_bits),
                                  iv, info.encrypted_verifier_hash_input);
    auto verifier_value = aes_cbc(false,
                                  derived_key(info.password_hash, final_hash,
                                              block(kVerifierValueBlock), info.password_key_bits),
                                  iv, info.encrypted_verifier_hash_value);
    if (!verifier_input.is_ok()) return verifier_input.status();
    if (!verifier_value.is_ok()) return verifier_value.status();
    const std::string expected = hash(info.password_hash, verifier_input.value());
    if (verifier_value->size() < expected.size() ||
        verifier_value->compare(0, expected.size(), expected) != 0) {
        return Status::permission_denied("the password does not open this document")
            .with_reason("wrong_password");
    }
    auto key = aes_cbc(
        false,
        derived_key(info.password_hash, final_hash, block(kKeyValueBlock), info.password_key_bits),
        iv, info.encrypted_key_value);
    if (!key.is_ok()) return key.status();
    if (key->size() < info.key_data_key_bits / 8)
        return bad_info("encryptedKeyValue is shorter than the key");
    key->resize(info.key_data_key_bits / 8);
    return key;
}

Result<std::string> agile_decrypt_package(const AgileEncryptionInfo& info,
                                          std::string_view package_key,
                                          std::string_view encrypted_package) {
    if (!info.encrypted_hmac_key.empty()) {
        auto hmac_key = aes_cbc(false, package_key, segment_iv(info, block(kHmacKeyBlock)),
                                info.encrypted_hmac_key);
        auto hmac_value = aes_cbc(false, package_key, segment_iv(info, block(kHmacValueBlock)),
                                  info.encrypted_hmac_value);
        if (!hmac_key.is_ok() || !hmac_value.is_ok())
            return bad_info("dataIntegrity values are not whole AES blocks");
        const std::size_t size = hash_size(info.key_data_hash);
        if (hmac_key->size() < size || hmac_value->size() < size)
            return bad_info("dataIntegrity values are too short");
        const std::string actual =
            hmac(info.key_data_hash, hmac_key->substr(0, size), encrypted_package);
        if (hmac_value->compare(0, size, actual) != 0) {
            return Status::corruption("the encrypted package fails its integrity check (HMAC)")
                .with_reason("tampered_package");
        }
    }
    const std::uint64_t size = read_le64(encrypted_package);
    const std::string_view data = encrypted_package.substr(8);
    std::string out;
    out.reserve(data.size());
    for (std::size_t offset = 0, segment = 0; offset < data.size();
         offset += kSegmentBytes, ++segment) {
        const std::string iv = segment_iv(info, le32(static_cast<std::uint32_t>(segment)));
        auto plain = aes_cbc(false, package_key, iv, data.substr(offset, kSegmentBytes));
        if (!plain.is_ok()) {
            return Status::invalid_argument("encrypted package is not a whole number of AES blocks")
                .with_reason("bad_container");
        }
        out += plain.value();
    }
    out.resize(static_cast<std::size_t>(size));
    return out;
}

Result<EncryptedStreams> agile_encrypt(std::string_view package, std::string_view password_utf16le,
                                       std::uint32_t spin_count) {
    AgileEncryptionInfo info;
    info.key_data_salt = random_string(16);
    info.password_salt = random_string(16);
    info.spin_count = spin_count;
    const std::string package_key = random_string(32);

    const std::string final_hash = iterated_password_hash(info.password_hash, info.password_salt,
                                                          password_utf16le, spin_count);
    const std::string verifier_input = random_string(16);
    auto encrypt_with = [&](std::string_view block_key, std::string_view data) {
        return aes_cbc(
            true, derived_key(info.password_hash, final_hash, block_key, info.password_key_bits),
            info.password_salt, pad_to_block(std::string(data), 16));
    };
    auto hash_input = encrypt_with(block(kVerifierInputBlock), verifier_input);
    auto hash_value =
        encrypt_with(block(kVerifierValueBlock), hash(info.password_hash, verifier_input));
    auto key_value = encrypt_with(block(kKeyValueBlock), package_key);
    if (!hash_input.is_ok() || !hash_value.is_ok() || !key_value.is_ok())
        return Status::internal("AES failed");

    EncryptedStreams streams;
    streams.encrypted_package = le64(package.size());
    for (std::size_t offset = 0, segment = 0; offset < package.size();
         offset += kSegmentBytes, ++segment) {
        auto cipher =
            aes_cbc(true, package_key, segment_iv(info, le32(static_cast<std::uint32_t>(segment))),
                    pad_to_block(std::string(package.substr(offset, kSegmentBytes)), 16));
        if (!cipher.is_ok()) return cipher.status();
        streams.encrypted_package += cipher.value();
    }

    const std::string hmac_key = random_string(hash_size(info.key_data_hash));
    const std::string hmac_value = hmac(info.key_data_hash, hmac_key, streams.encrypted_package);
    auto encrypted_hmac_key =
        aes_cbc(true, package_key, segment_iv(info, block(kHmacKeyBlock)), hmac_key);
    auto encrypted_hmac_value =
        aes_cbc(true, package_key, segment_iv(info, block(kHmacValueBlock)), hmac_value);
    if (!encrypted_hmac_key.is_ok() || !encrypted_hmac_value.is_ok())
        return Status::internal("AES failed");

    // The same document Excel writes: version 4.4, reserved 0x40, then the XML.
    std::string xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
        "<encryption xmlns=\"http://schemas.microsoft.com/office/2006/encryption\" "
        "xmlns:p=\"http://schemas.microsoft.com/office/2006/keyEncryptor/password\" "
        "xmlns:c=\"http://schemas.microsoft.com/office/2006/keyEncryptor/certificate\">"
        "<keyData saltSize=\"16\" blockSize=\"16\" keyBits=\"256\" hashSize=\"64\" "
        "cipherAlgorithm=\"AES\" "
        "cipherChaining=\"ChainingModeCBC\" hashAlgorithm=\"SHA512\" saltValue=\"" +
        base64_encode(info.key_data_salt) +
        "\"/>"
        "<dataIntegrity encryptedHmacKey=\"" +
        base64_encode(encrypted_hmac_key.value()) + "\" encryptedHmacValue=\"" +
        base64_encode(encrypted_hmac_value.value()) +
        "\"/>"
        "<keyEncryptors><keyEncryptor "
        "uri=\"http://schemas.microsoft.com/office/2006/keyEncryptor/password\">"
        "<p:encryptedKey spinCount=\"" +
        std::to_string(spin_count) +
        "\" saltSize=\"16\" blockSize=\"16\" keyBits=\"256\" "
        "hashSize=\"64\" cipherAlgorithm=\"AES\" cipherChaining=\"ChainingModeCBC\" "
        "hashAlgorithm=\"SHA512\" "
        "saltValue=\"" +
        base64_encode(info.password_salt) +
        "\" "
        "encryptedVerifierHashInput=\"" +
        base64_encode(hash_input.value()) +
        "\" "
        "encryptedVerifierHashValue=\"" +
        base64_encode(hash_value.value()) +
        "\" "
        "encryptedKeyValue=\"" +
        base64_encode(key_value.value()) +
        "\"/>"
        "</keyEncryptor></keyEncryptors></encryption>";
    streams.encryption_info = std::string("\x04\x00\x04\x00\x40\x00\x00\x00", 8) + xml;
    return streams;
}

}  // namespace kakitome::office
