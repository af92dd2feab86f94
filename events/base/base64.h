// Standard base64 (RFC 4648, with padding) through OpenSSL's EVP block coder. Decoding skips
// ASCII white space, as Office's XML and wrapped text may contain it.
#pragma once

#include <string>
#include <string_view>

#include "events/base/status.h"

namespace kakitome {

Result<std::string> base64_decode(std::string_view text);  // invalid_argument when not base64
std::string base64_encode(std::string_view bytes);

}  // namespace kakitome
