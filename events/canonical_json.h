// The canonical form of a JSON text: object keys sorted by their UTF-8 bytes, no whitespace,
// strings with only the escapes JSON requires (non-ASCII kept as is), numbers as nlohmann::json
// prints them. Every payload is stored in this form, so its hash never depends on how a writer
// spaced or ordered its JSON.
//
// canonicalize_json fails (invalid_argument) on invalid JSON or invalid UTF-8. Its answer is by
// definition nlohmann::json's parse followed by dump(); a text whose objects' keys already come
// in order and that holds no floating-point number (what kakitome's own writers produce) is
// parsed by simdjson and printed from that parse, with no nlohmann document built. Anything
// else, errors included, takes the definition's way, so the answer and the error's words are
// the definition's either way.
//
// A text nested deeper than `max_nesting` arrays and objects (at most kMaxJsonNesting) is refused
// (invalid_argument), whichever way it would take: printing is recursive, and a few hundred KiB
// of "[" (an incident responder's evidence mapping, say) would otherwise exhaust the stack.
#pragma once

#include <string>
#include <string_view>

#include "events/base/status.h"

namespace kakitome {

// simdjson's default depth. simdjson itself refuses a text at exactly this depth whose innermost
// container is not empty; such a text takes the document's way, which counts exactly.
inline constexpr int kMaxJsonNesting = 1024;

Result<std::string> canonicalize_json(std::string_view json_text,
                                      int max_nesting = kMaxJsonNesting);

// The definition: parse into a document, print it. For tests that compare the two paths.
Result<std::string> canonicalize_json_through_document(std::string_view json_text,
                                                       int max_nesting = kMaxJsonNesting);

}  // namespace kakitome
