// Percent-decoding (RFC 3986 %XX escapes) of URL parts and of logs that write them so, the one
// decoder for the API's query strings and for imported access logs. A malformed escape is kept
// as it is; '+' is a space only when asked (an HTML form's query), elsewhere it is a '+'.
#pragma once

#include <string>
#include <string_view>

namespace kakitome {

std::string percent_decode(std::string_view text, bool plus_is_space = false);

}  // namespace kakitome
