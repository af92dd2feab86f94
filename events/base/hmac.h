// HMAC-SHA-256 (RFC 2104) through OpenSSL: the keyed hash of intake's sender, password and
// duplicate keys and of SigV4's signing chain. Office files name their own HMAC algorithm and
// use engine/office's. Thread-safe; the 32 raw bytes are returned.
#pragma once

#include <string>
#include <string_view>

namespace kakitome {

std::string hmac_sha256(std::string_view key, std::string_view data);

}  // namespace kakitome
