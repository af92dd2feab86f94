// Unicode text helpers for reading forms people typed: NFKC (full-width "ＡＢＣ１２" -> "ABC12",
// "／" -> "/"), keys for matching labels regardless of width, case and whitespace, and trimming
// that knows the ideographic space. Input must be valid UTF-8 (invalid bytes become U+FFFD).
#pragma once

#include <string>
#include <string_view>

namespace kakitome::form {

// NFKC, case-folded, with every White_Space character removed.
std::string matching_key(std::string_view text);
// matching_key with katakana folded to hiragana ("サクラ", "ｻｸﾗ" and "さくら" are one key): what
// staff type to find an organisation matches however the applicant wrote it.
std::string search_key(std::string_view text);
// Strips leading/trailing White_Space (ASCII, U+3000, NBSP, ...).
std::string trim(std::string_view text);

}  // namespace kakitome::form
