#include "events/base/aead.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "events/base/base64.h"
#include "events/base/sha256.h"

namespace kakitome {

namespace {

constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;

struct CipherContextDeleter {
    void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextDeleter>;

const unsigned char* bytes_of(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

int int_size(std::size_t size) {
    return static_cast<int>(size);
}

}  // namespace

void random_bytes(std::uint8_t* out, std::size_t size) {
    if (RAND_bytes(out, int_size(size)) != 1) std::abort();
}

Result<std::string> aead_seal(const AeadKey& key, std::string_view plaintext,
                              std::string_view associated_data) {
    if (plaintext.size() > (1u << 30)) return Status::resource_exhausted("plaintext over 1 GiB");
    std::string sealed(kNonceBytes + plaintext.size() + kTagBytes, '\0');
    auto* out = reinterpret_cast<unsigned char*>(sealed.data());
    random_bytes(out, kNonceBytes);

    CipherContext context(EVP_CIPHER_CTX_new());
    int length = 0;
    if (!context ||
        EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, key.data(), out) != 1 ||
        EVP_EncryptUpdate(context.get(), nullptr, &length, bytes_of(associated_data),
                          int_size(associated_data.size())) != 1 ||
        EVP_EncryptUpdate(context.get(), out + kNonceBytes, &length, bytes_of(plaintext),
                          int_size(plaintext.size())) != 1 ||
        EVP_EncryptFinal_ex(context.get(), out + kNonceBytes + length, &length) != 1 ||
        EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                            out + kNonceBytes + plaintext.size()) != 1) {
        return Status::internal("AES-256-GCM encryption failed");
    }
    return sealed;
}

Result<std::string> aead_open(const AeadKey& key, std::string_view sealed,
                              std::string_view associated_data) {
    if (sealed.size() < kNonceBytes + kTagBytes) return Status::corruption("sealed data too short");
    const std::size_t size = sealed.size() - kNonceBytes - kTagBytes;
    std::string plaintext(size, '\0');
    const auto* in = bytes_of(sealed);
    std::array<unsigned char, kTagBytes> tag;
    std::copy_n(in + kNonceBytes + size, kTagBytes, tag.begin());

    CipherContext context(EVP_CIPHER_CTX_new());
    int length = 0;
    auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
    if (!context ||
        EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, key.data(), in) != 1 ||
        EVP_DecryptUpdate(context.get(), nullptr, &length, bytes_of(associated_data),
                          int_size(associated_data.size())) != 1 ||
        EVP_DecryptUpdate(context.get(), out, &length, in + kNonceBytes, int_size(size)) != 1 ||
        EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1) {
        return Status::internal("AES-256-GCM decryption setup failed");
    }
    if (EVP_DecryptFinal_ex(context.get(), out + length, &length) != 1) {
        return Status::corruption("authentication tag does not verify");
    }
    return plaintext;
}

AeadKey derive_key(const AeadKey& master, std::string_view purpose) {
    AeadKey derived{};
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    EVP_KDF_CTX* context = kdf ? EVP_KDF_CTX_new(kdf) : nullptr;
    EVP_KDF_free(kdf);
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                          const_cast<std::uint8_t*>(master.data()), master.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(purpose.data()),
                                          purpose.size()),
        OSSL_PARAM_construct_end(),
    };
    // HKDF only fails on allocation failure or a broken OpenSSL install: nothing to recover.
    if (!context || EVP_KDF_derive(context, derived.data(), derived.size(), params) != 1)
        std::abort();
    EVP_KDF_CTX_free(context);
    return derived;
}

std::string random_hex(std::size_t count) {
    std::string bytes(count, '\0');
    random_bytes(reinterpret_cast<std::uint8_t*>(bytes.data()), count);
    return to_hex(reinterpret_cast<const std::uint8_t*>(bytes.data()), count);
}

std::string random_base64url(std::size_t count) {
    std::string bytes(count, '\0');
    random_bytes(reinterpret_cast<std::uint8_t*>(bytes.data()), count);
    std::string text = base64_encode(bytes);
    for (char& c : text) {
        if (c == '+') c = '-';
        if (c == '/') c = '_';
    }
    while (!text.empty() && text.back() == '=') text.pop_back();
    return text;
}

}  // namespace kakitome
