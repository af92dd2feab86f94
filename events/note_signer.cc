#include "events/note_signer.h"

#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <sstream>

#include <openssl/evp.h>

#include "events/base/aead.h"
#include "events/base/base64.h"
#include "events/base/sha256.h"

namespace kakitome {

namespace {

constexpr const char* kEmDash = "\xE2\x80\x94";  // U+2014, the signature line marker

std::string public_key_of(const std::array<std::uint8_t, 32>& seed) {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()),
        EVP_PKEY_free);
    std::string out(32, '\0');
    std::size_t length = out.size();
    EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(out.data()), &length);
    return out;
}

std::string key_id(const std::string& name, const std::string& public_key) {
    const auto digest = sha256(name + "\n" + std::string(1, '\x01') + public_key);
    return std::string(reinterpret_cast<const char*>(digest.data()), 4);
}

std::string hex_of(const std::string& bytes) {
    return to_hex(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

NoteSigner NoteSigner::from_seed(const std::array<std::uint8_t, 32>& seed, std::string name) {
    NoteSigner signer;
    signer.name_ = std::move(name);
    signer.seed_ = seed;
    const std::string public_key = public_key_of(seed);
    signer.verifier_key_ = signer.name_ + "+" + hex_of(key_id(signer.name_, public_key)) + "+" +
                           base64_encode(std::string(1, '\x01') + public_key);
    return signer;
}

Result<NoteSigner> NoteSigner::load_or_create(const std::filesystem::path& path, std::string name) {
    if (name.empty() || name.find('+') != std::string::npos ||
        name.find(' ') != std::string::npos) {
        return Status::invalid_argument("a note key name must be non-empty without '+' or spaces");
    }
    std::array<std::uint8_t, 32> seed{};
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0) {
        if (info.st_mode & 077) {
            return Status::permission_denied(path.string() + " is readable by others; chmod 600 it")
                .with_reason("key_file_mode");
        }
        std::ifstream in(path, std::ios::binary);
        in.read(reinterpret_cast<char*>(seed.data()), seed.size());
        if (in.gcount() != static_cast<std::streamsize>(seed.size()))
            return Status::corruption(path.string() + " is not a 32-byte key");
        return from_seed(seed, std::move(name));
    }
    random_bytes(seed.data(), seed.size());
    const auto temporary = path.string() + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) return Status::io_error("cannot write " + temporary);
        ::chmod(temporary.c_str(), 0600);
        out.write(reinterpret_cast<const char*>(seed.data()), seed.size());
        if (!out) return Status::io_error("cannot write " + temporary);
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error) return Status::io_error("cannot create " + path.string() + ": " + error.message());
    return from_seed(seed, std::move(name));
}

std::string NoteSigner::sign(std::string_view text) const {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed_.data(), seed_.size()),
        EVP_PKEY_free);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                    EVP_MD_CTX_free);
    EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, key.get());
    std::string signature(64, '\0');
    std::size_t length = signature.size();
    EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                   reinterpret_cast<const unsigned char*>(text.data()), text.size());
    const std::string public_key = public_key_of(seed_);
    return std::string(text) + "\n" + kEmDash + " " + name_ + " " +
           base64_encode(key_id(name_, public_key) + signature) + "\n";
}

Status check_verifier_key(std::string_view verifier_key) {
    const auto first_plus = verifier_key.find('+');
    const auto second_plus = verifier_key.find('+', first_plus + 1);
    if (first_plus == std::string_view::npos || second_plus == std::string_view::npos ||
        second_plus - first_plus - 1 != 8)
        return Status::invalid_argument("a verifier key is name+keyid(8 hex)+base64")
            .with_reason("bad_verifier_key");
    const std::string name(verifier_key.substr(0, first_plus));
    auto key_bytes = base64_decode(verifier_key.substr(second_plus + 1));
    if (!key_bytes.is_ok() || key_bytes->size() != 33 || (*key_bytes)[0] != '\x01')
        return Status::invalid_argument("the verifier key is not an Ed25519 key")
            .with_reason("bad_verifier_key");
    const std::string stated(verifier_key.substr(first_plus + 1, 8));
    if (hex_of(key_id(name, key_bytes->substr(1))) != stated)
        return Status::invalid_argument("the verifier key's id " + stated +
                                        " is not the id of its key and name")
            .with_reason("bad_verifier_key");
    return Status::ok();
}

Result<std::string> open_signed_note(std::string_view note, std::string_view verifier_key) {
    KAKITOME_RETURN_IF_ERROR(check_verifier_key(verifier_key));
    const auto first_plus = verifier_key.find('+');
    const auto second_plus = verifier_key.find('+', first_plus + 1);
    if (first_plus == std::string_view::npos || second_plus == std::string_view::npos) {
        return Status::invalid_argument("a verifier key is name+keyid+base64");
    }
    const std::string name(verifier_key.substr(0, first_plus));
    auto key_bytes = base64_decode(verifier_key.substr(second_plus + 1));
    if (!key_bytes.is_ok() || key_bytes->size() != 33 || (*key_bytes)[0] != '\x01') {
        return Status::invalid_argument("the verifier key is not an Ed25519 key");
    }
    const std::string public_key = key_bytes->substr(1);
    const auto split = note.rfind("\n\n");
    if (split == std::string_view::npos)
        return Status::invalid_argument("a signed note needs a blank line before its signatures");
    const std::string text(note.substr(0, split + 1));
    std::istringstream lines(std::string(note.substr(split + 2)));
    const std::string prefix = std::string(kEmDash) + " " + name + " ";
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                    reinterpret_cast<const unsigned char*>(public_key.data()), 32),
        EVP_PKEY_free);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(prefix, 0) != 0) continue;
        auto signature = base64_decode(line.substr(prefix.size()));
        if (!signature.is_ok() || signature->size() != 68 ||
            signature->substr(0, 4) != key_id(name, public_key))
            continue;
        std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                        EVP_MD_CTX_free);
        EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, key.get());
        if (EVP_DigestVerify(
                context.get(), reinterpret_cast<const unsigned char*>(signature->data() + 4), 64,
                reinterpret_cast<const unsigned char*>(text.data()), text.size()) == 1) {
            return text;
        }
        return Status::corruption("the note's signature by " + name + " does not verify")
            .with_reason("bad_signature");
    }
    return Status::corruption("the note carries no signature by " + name)
        .with_reason("unsigned_note");
}

}  // namespace kakitome
