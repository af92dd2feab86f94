#include "engine/office/office_crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <memory>

#include "events/base/aead.h"
#include "events/base/json_text.h"

namespace kakitome::office {

namespace {

const EVP_MD* evp_digest(HashAlgorithm algorithm) {
    switch (algorithm) {
        case HashAlgorithm::sha1:
            return EVP_sha1();
        case HashAlgorithm::sha256:
            return EVP_sha256();
        case HashAlgorithm::sha384:
            return EVP_sha384();
        case HashAlgorithm::sha512:
            return EVP_sha512();
    }
    return EVP_sha512();
}

const unsigned char* bytes_of(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

struct DigestContextDeleter {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
struct CipherContextDeleter {
    void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
struct MessageDigestDeleter {
    void operator()(EVP_MD* digest) const { EVP_MD_free(digest); }
};

const EVP_CIPHER* aes_cipher(bool cbc, std::size_t key_size) {
    switch (key_size) {
        case 16:
            return cbc ? EVP_aes_128_cbc() : EVP_aes_128_ecb();
        case 24:
            return cbc ? EVP_aes_192_cbc() : EVP_aes_192_ecb();
        case 32:
            return cbc ? EVP_aes_256_cbc() : EVP_aes_256_ecb();
        default:
            return nullptr;
    }
}

Result<std::string> aes(bool cbc, bool encrypt, std::string_view key, std::string_view iv,
                        std::string_view data) {
    const EVP_CIPHER* cipher = aes_cipher(cbc, key.size());
    if (!cipher) return Status::invalid_argument("AES key must be 16, 24 or 32 bytes");
    if (data.size() % 16 != 0) {
        return Status::invalid_argument("AES input is not a whole number of blocks")
            .with_reason("bad_encrypted_data");
    }
    if (cbc && iv.size() < 16) return Status::invalid_argument("AES-CBC needs a 16-byte IV");
    std::unique_ptr<EVP_CIPHER_CTX, CipherContextDeleter> context(EVP_CIPHER_CTX_new());
    std::string out(data.size(), '\0');
    int length = 0, final_length = 0;
    auto* output = reinterpret_cast<unsigned char*>(out.data());
    if (!context ||
        EVP_CipherInit_ex(context.get(), cipher, nullptr, bytes_of(key),
                          cbc ? bytes_of(iv) : nullptr, encrypt ? 1 : 0) != 1 ||
        EVP_CIPHER_CTX_set_padding(context.get(), 0) != 1 ||
        EVP_CipherUpdate(context.get(), output, &length, bytes_of(data),
                         static_cast<int>(data.size())) != 1 ||
        EVP_CipherFinal_ex(context.get(), output + length, &final_length) != 1) {
        return Status::internal("AES operation failed");
    }
    return out;
}

}  // namespace

Result<HashAlgorithm> hash_algorithm_named(std::string_view name) {
    if (name == "SHA1" || name == "SHA-1") return HashAlgorithm::sha1;
    if (name == "SHA256" || name == "SHA-256") return HashAlgorithm::sha256;
    if (name == "SHA384" || name == "SHA-384") return HashAlgorithm::sha384;
    if (name == "SHA512" || name == "SHA-512") return HashAlgorithm::sha512;
    return Status::not_found("unsupported hash algorithm " + std::string(name))
        .with_reason("unsupported_encryption");
}

const char* hash_algorithm_name(HashAlgorithm algorithm) {
    switch (algorithm) {
        case HashAlgorithm::sha1:
            return "SHA1";
        case HashAlgorithm::sha256:
            return "SHA256";
        case HashAlgorithm::sha384:
            return "SHA384";
        case HashAlgorithm::sha512:
            return "SHA512";
    }
    return "SHA512";
}

std::size_t hash_size(HashAlgorithm algorithm) {
    return static_cast<std::size_t>(EVP_MD_get_size(evp_digest(algorithm)));
}

std::string hash(HashAlgorithm algorithm, std::string_view first, std::string_view second) {
    std::unique_ptr<EVP_MD_CTX, DigestContextDeleter> context(EVP_MD_CTX_new());
    std::string out(hash_size(algorithm), '\0');
    unsigned int size = 0;
    if (!context || EVP_DigestInit_ex2(context.get(), evp_digest(algorithm), nullptr) != 1 ||
        EVP_DigestUpdate(context.get(), first.data(), first.size()) != 1 ||
        EVP_DigestUpdate(context.get(), second.data(), second.size()) != 1 ||
        EVP_DigestFinal_ex(context.get(), reinterpret_cast<unsigned char*>(out.data()), &size) !=
            1) {
        throw std::bad_alloc();  // only allocation can fail here; caught nowhere on purpose
    }
    return out;
}

std::string iterated_password_hash(HashAlgorithm algorithm, std::string_view salt,
                                   std::string_view password_utf16le, std::uint32_t spin_count) {
    // Fetch the implementation once: the EVP_sha512() shortcut would be looked up per call.
    std::unique_ptr<EVP_MD, MessageDigestDeleter> digest(
        EVP_MD_fetch(nullptr, hash_algorithm_name(algorithm), nullptr));
    std::unique_ptr<EVP_MD_CTX, DigestContextDeleter> context(EVP_MD_CTX_new());
    if (!digest || !context) throw std::bad_alloc();
    const std::size_t size = hash_size(algorithm);
    // Round input: 4-byte iterator followed by the previous hash, updated in place.
    std::string round(4 + size, '\0');
    auto* iterator = reinterpret_cast<unsigned char*>(round.data());
    auto* previous = iterator + 4;
    unsigned int length = 0;
    EVP_DigestInit_ex2(context.get(), digest.get(), nullptr);
    EVP_DigestUpdate(context.get(), salt.data(), salt.size());
    EVP_DigestUpdate(context.get(), password_utf16le.data(), password_utf16le.size());
    EVP_DigestFinal_ex(context.get(), previous, &length);
    for (std::uint32_t i = 0; i < spin_count; ++i) {
        iterator[0] = static_cast<unsigned char>(i);
        iterator[1] = static_cast<unsigned char>(i >> 8);
        iterator[2] = static_cast<unsigned char>(i >> 16);
        iterator[3] = static_cast<unsigned char>(i >> 24);
        EVP_DigestInit_ex2(context.get(), nullptr, nullptr);  // same algorithm, no re-fetch
        EVP_DigestUpdate(context.get(), iterator, round.size());
        EVP_DigestFinal_ex(context.get(), previous, &length);
    }
    return round.substr(4);
}

Result<std::string> aes_cbc(bool encrypt, std::string_view key, std::string_view iv,
                            std::string_view data) {
    return aes(true, encrypt, key, iv, data);
}

Result<std::string> aes_ecb(bool encrypt, std::string_view key, std::string_view data) {
    return aes(false, encrypt, key, {}, data);
}

std::string hmac(HashAlgorithm algorithm, std::string_view key, std::string_view data) {
    std::string out(hash_size(algorithm), '\0');
    unsigned int size = 0;
    if (!HMAC(evp_digest(algorithm), key.data(), static_cast<int>(key.size()), bytes_of(data),
              data.size(), reinterpret_cast<unsigned char*>(out.data()), &size)) {
        throw std::bad_alloc();
    }
    return out;
}

Result<std::string> utf8_to_utf16le(std::string_view utf8) {
    if (!is_valid_utf8(utf8)) return Status::invalid_argument("password is not valid UTF-8");
    std::string out;
    out.reserve(utf8.size() * 2);
    auto put_unit = [&](std::uint32_t unit) {
        out.push_back(static_cast<char>(unit & 0xff));
        out.push_back(static_cast<char>(unit >> 8 & 0xff));
    };
    for (std::size_t i = 0; i < utf8.size();) {
        const auto lead = static_cast<unsigned char>(utf8[i]);
        std::uint32_t code;
        std::size_t length;
        if (lead < 0x80) {
            code = lead;
            length = 1;
        } else if (lead < 0xe0) {
            code = lead & 0x1f;
            length = 2;
        } else if (lead < 0xf0) {
            code = lead & 0x0f;
            length = 3;
        } else {
            code = lead & 0x07;
            length = 4;
        }
        for (std::size_t k = 1; k < length; ++k)
            code = code << 6 | (static_cast<unsigned char>(utf8[i + k]) & 0x3f);
        i += length;
        if (code >= 0x10000) {  // surrogate pair
            code -= 0x10000;
            put_unit(0xd800 | code >> 10);
            put_unit(0xdc00 | (code & 0x3ff));
        } else {
            put_unit(code);
        }
    }
    return out;
}

std::string le32(std::uint32_t value) {
    std::string out(4, '\0');
    for (int i = 0; i < 4; ++i)
        out[static_cast<std::size_t>(i)] = static_cast<char>(value >> (8 * i) & 0xff);
    return out;
}

std::string le64(std::uint64_t value) {
    return le32(static_cast<std::uint32_t>(value)) + le32(static_cast<std::uint32_t>(value >> 32));
}

std::uint64_t read_le64(std::string_view bytes) {
    std::uint64_t value = 0;
    for (int i = 7; i >= 0; --i)
        value = value << 8 | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
    return value;
}

std::string random_string(std::size_t size) {
    std::string out(size, '\0');
    random_bytes(reinterpret_cast<std::uint8_t*>(out.data()), size);
    return out;
}

std::string fit_key(std::string derived, std::size_t key_bytes) {
    derived.resize(key_bytes, '\x36');
    return derived;
}

}  // namespace kakitome::office
