// Every event type kakitome writes, with its current schema: the list the upcaster chain is
// checked against and `kakitome events --types` prints.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace kakitome::domain {

struct EventTypeInfo {
    std::string_view type;
    int schema;
};

const std::vector<EventTypeInfo>& event_catalog();
// The current schema of a type; nullopt for a type kakitome does not write.
std::optional<int> current_schema(std::string_view type);

}  // namespace kakitome::domain
