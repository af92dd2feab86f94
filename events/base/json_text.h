// Small JSON text helpers for the append hot path. They produce exactly what nlohmann::json's
// dump() produces for a string with ensure_ascii=false (tests compare the two), without building
// a json value per string.
#pragma once

#include <string>
#include <string_view>

namespace kakitome {

// Well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view text);

// Appends text as a quoted JSON string. text must be valid UTF-8.
void append_json_string(std::string& out, std::string_view text);

}  // namespace kakitome
