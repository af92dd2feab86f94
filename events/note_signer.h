// Signed notes (C2SP signed-note) with Ed25519 through OpenSSL, for the ledger's checkpoints
// (C2SP tlog-checkpoint). A note is UTF-8 text ending in a newline, a blank line, then one
// line per signature: "— <key name> <base64(key id || signature)>". The key id is the first
// four bytes of SHA-256(name || "\n" || 0x01 || public key). A verifier key is written
// "<name>+<key id hex>+<base64(0x01 || public key)>", the form other tools (e.g.
// golang.org/x/mod/sumdb/note) read.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "events/base/status.h"

namespace kakitome {

class NoteSigner {
  public:
    // Reads the 32-byte Ed25519 seed at `path`, or creates it (mode 0600) on first use; refuses
    // a key file that others can read.
    static Result<NoteSigner> load_or_create(const std::filesystem::path& path, std::string name);
    static NoteSigner from_seed(const std::array<std::uint8_t, 32>& seed, std::string name);

    // text must end with "\n"; returns the whole signed note.
    std::string sign(std::string_view text) const;
    const std::string& verifier_key() const { return verifier_key_; }
    const std::string& name() const { return name_; }
    // The seed, for a witness's cosigner kept in the same file format (events/cosignature.h).
    const std::array<std::uint8_t, 32>& seed() const { return seed_; }

  private:
    std::string name_;
    std::array<std::uint8_t, 32> seed_{};
    std::string verifier_key_;
};

// Checks that `note` carries a valid signature by `verifier_key`; returns the signed text.
// corruption when the signature is missing or does not verify, invalid_argument for a
// malformed key or note.
Result<std::string> open_signed_note(std::string_view note, std::string_view verifier_key);
// invalid_argument (reason bad_verifier_key) unless `verifier_key` is name+keyid+base64 of an
// Ed25519 key whose key id (C2SP signed-note: SHA-256 of name, 0x0A, 0x01, key) is the stated one.
Status check_verifier_key(std::string_view verifier_key);

}  // namespace kakitome
