// RFC 3339 UTC timestamps with millisecond precision, the only time format in event envelopes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kakitome {

// 1764000000123 -> "2025-11-24T16:00:00.123Z"
std::string format_rfc3339_ms(std::int64_t epoch_ms);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fff]Z" and "+HH:MM"/"-HH:MM" offsets; nullopt otherwise.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text);
std::int64_t system_clock_ms();

}  // namespace kakitome
