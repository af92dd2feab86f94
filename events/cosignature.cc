#include "events/cosignature.h"

#include <memory>
#include <sstream>

#include <openssl/evp.h>

#include "events/base/base64.h"
#include "events/base/sha256.h"
#include "events/note_signer.h"

namespace kakitome {

namespace {

constexpr const char* kEmDash = "\xE2\x80\x94";
constexpr char kCosignatureType = '\x04';

std::string key_id(const std::string& name, const std::string& public_key) {
    const auto digest = sha256(name + "\n" + std::string(1, kCosignatureType) + public_key);
    return std::string(reinterpret_cast<const char*>(digest.data()), 4);
}

std::string big_endian_time(std::uint64_t time) {
    std::string out(8, '\0');
    for (int i = 7; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = static_cast<char>(time & 0xff);
        time >>= 8;
    }
    return out;
}

std::string signed_message(std::string_view body, std::uint64_t time) {
    return "cosignature/v1\ntime " + std::to_string(time) + "\n" + std::string(body);
}

struct ParsedKey {
    std::string name;
    std::string public_key;
};

Result<ParsedKey> parse_key(std::string_view verifier_key) {
    const auto first_plus = verifier_key.find('+');
    const auto second_plus =
        first_plus == std::string_view::npos ? first_plus : verifier_key.find('+', first_plus + 1);
    if (first_plus == std::string_view::npos || second_plus == std::string_view::npos ||
        second_plus - first_plus - 1 != 8)
        return Status::invalid_argument("a witness key is name+keyid(8 hex)+base64")
            .with_reason("bad_verifier_key");
    ParsedKey key{std::string(verifier_key.substr(0, first_plus)), {}};
    auto bytes = base64_decode(verifier_key.substr(second_plus + 1));
    if (!bytes.is_ok() || bytes->size() != 33 || (*bytes)[0] != kCosignatureType)
        return Status::invalid_argument("not a cosignature/v1 Ed25519 key (type 0x04)")
            .with_reason("bad_verifier_key");
    key.public_key = bytes->substr(1);
    const auto id = key_id(key.name, key.public_key);
    if (to_hex(reinterpret_cast<const std::uint8_t*>(id.data()), id.size()) !=
        verifier_key.substr(first_plus + 1, 8))
        return Status::invalid_argument("the witness key's id is not the id of its key and name")
            .with_reason("bad_verifier_key");
    return key;
}

}  // namespace

Cosigner Cosigner::from_seed(const std::array<std::uint8_t, 32>& seed, std::string name) {
    Cosigner cosigner;
    cosigner.name_ = std::move(name);
    cosigner.seed_ = seed;
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()),
        EVP_PKEY_free);
    std::string public_key(32, '\0');
    std::size_t length = public_key.size();
    EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(public_key.data()),
                                &length);
    const auto id = key_id(cosigner.name_, public_key);
    cosigner.verifier_key_ = cosigner.name_ + "+" +
                             to_hex(reinterpret_cast<const std::uint8_t*>(id.data()), id.size()) +
                             "+" + base64_encode(std::string(1, kCosignatureType) + public_key);
    return cosigner;
}

Result<Cosigner> Cosigner::load_or_create(const std::filesystem::path& path, std::string name) {
    // The seed file is the note signer's format (and its 0600 rule): one key-file reader.
    auto signer = NoteSigner::load_or_create(path, name);
    if (!signer.is_ok()) return signer.status();
    return from_seed(signer->seed(), std::move(name));
}

std::string Cosigner::cosign(std::string_view checkpoint_body, std::uint64_t time_seconds) const {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed_.data(), seed_.size()),
        EVP_PKEY_free);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                    EVP_MD_CTX_free);
    EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, key.get());
    const std::string message = signed_message(checkpoint_body, time_seconds);
    std::string signature(64, '\0');
    std::size_t length = signature.size();
    EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                   reinterpret_cast<const unsigned char*>(message.data()), message.size());
    auto parsed = parse_key(verifier_key_);
    return std::string(kEmDash) + " " + name_ + " " +
           base64_encode(key_id(name_, parsed->public_key) + big_endian_time(time_seconds) +
                         signature) +
           "\n";
}

Status check_cosigner_key(std::string_view verifier_key) {
    auto parsed = parse_key(verifier_key);
    return parsed.is_ok() ? Status::ok() : parsed.status();
}

std::string verifier_key_name(std::string_view verifier_key) {
    return std::string(verifier_key.substr(0, verifier_key.find('+')));
}

Result<std::uint64_t> verify_cosignature(std::string_view note, std::string_view verifier_key) {
    auto key = parse_key(verifier_key);
    if (!key.is_ok()) return key.status();
    const auto split = note.find("\n\n");
    if (split == std::string_view::npos)
        return Status::invalid_argument("a signed note needs a blank line before its signatures");
    const std::string_view body = note.substr(0, split + 1);
    std::istringstream lines(std::string(note.substr(split + 2)));
    const std::string prefix = std::string(kEmDash) + " " + key->name + " ";
    const std::string id = key_id(key->name, key->public_key);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> public_key(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                    reinterpret_cast<const unsigned char*>(key->public_key.data()),
                                    32),
        EVP_PKEY_free);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(prefix, 0) != 0) continue;
        auto bytes = base64_decode(line.substr(prefix.size()));
        if (!bytes.is_ok() || bytes->size() != 76 || bytes->substr(0, 4) != id) continue;
        std::uint64_t time = 0;
        for (std::size_t i = 4; i < 12; ++i)
            time = (time << 8) | static_cast<std::uint8_t>((*bytes)[i]);
        const std::string message = signed_message(body, time);
        std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                        EVP_MD_CTX_free);
        EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, public_key.get());
        if (EVP_DigestVerify(
                context.get(), reinterpret_cast<const unsigned char*>(bytes->data() + 12), 64,
                reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1)
            return time;
    }
    return Status::corruption("no valid cosignature by " + key->name).with_reason("no_cosignature");
}

}  // namespace kakitome
