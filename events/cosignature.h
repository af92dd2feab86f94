// Witness cosignatures of checkpoints (C2SP tlog-cosignature, cosignature/v1 with Ed25519), as
// a witness makes them and as anyone checks them. A witness signs
//   "cosignature/v1\ntime <unix seconds>\n" + the checkpoint body (every line before the blank)
// and answers a signature line "— <witness name> <base64(key id || 8-byte big-endian time ||
// 64-byte signature)>", which the log appends to its note. The key id is the first four bytes
// of SHA-256(name || "\n" || 0x04 || public key); the verifier key is written
// "<name>+<key id hex>+<base64(0x04 || public key)>" (C2SP signed-note).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "events/base/status.h"

namespace kakitome {

class Cosigner {
  public:
    // Reads the 32-byte Ed25519 seed at `path` or creates it 0600, as NoteSigner does.
    static Result<Cosigner> load_or_create(const std::filesystem::path& path, std::string name);
    static Cosigner from_seed(const std::array<std::uint8_t, 32>& seed, std::string name);

    // The signature line (ending in "\n") over `checkpoint_body` (ends in "\n") at `time`.
    std::string cosign(std::string_view checkpoint_body, std::uint64_t time_seconds) const;
    const std::string& verifier_key() const { return verifier_key_; }
    const std::string& name() const { return name_; }

  private:
    std::string name_;
    std::array<std::uint8_t, 32> seed_{};
    std::string verifier_key_;
};

// invalid_argument (reason bad_verifier_key) unless `verifier_key` is a well-formed
// cosignature/v1 key whose id matches its name and key.
Status check_cosigner_key(std::string_view verifier_key);
// The name part of a verifier key ("name+id+key").
std::string verifier_key_name(std::string_view verifier_key);

// The time of the valid cosignature by `verifier_key` on the checkpoint `note` (body, blank
// line, signature lines). corruption (reason no_cosignature) when there is none that verifies.
Result<std::uint64_t> verify_cosignature(std::string_view note, std::string_view verifier_key);

}  // namespace kakitome
