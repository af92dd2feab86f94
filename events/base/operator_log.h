// The operator's log: one JSON object per line on stderr (journald keeps them), each with
// "time" (RFC 3339 UTC, ms), "level" and "message", plus the fields of the call. Lines below the
// process-wide threshold are dropped. Lines are whole even when threads log at once.
//
// Contract for callers: never put personal data or a secret in a line — principal names,
// application ids, event types, routes and statuses only (tests/api/journey_test.cc greps the
// journey's log for every fixture's organisation, address and password).
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace kakitome::logging {

enum class Level { debug, info, warning, error };

// "debug", "info", "warning", "error"; nullopt for anything else.
std::optional<Level> level_from_name(std::string_view name);
const char* level_name(Level level);

// The process-wide threshold (default info).
void set_threshold(Level level);
Level threshold();
bool enabled(Level level);

// Writes one line when `level` is at or above the threshold. `fields` is a JSON object whose
// members are added after time, level and message.
void write(Level level, std::string_view message,
           const nlohmann::json& fields = nlohmann::json::object());

}  // namespace kakitome::logging
