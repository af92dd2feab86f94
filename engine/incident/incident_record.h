// IncidentRecord: an incident's stream (incident-<id>, engine/domain/incident_events.h) folded
// into what the next step and the review decide on. The steps (incident_commands.h) and the
// review (projections/incident_review.h) both read an incident through load_incident().
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "events/base/status.h"
#include "events/event_store.h"

namespace kakitome {

struct IncidentRecord {
    std::string id;
    std::string reporter;
    std::string description;
    std::int64_t window_from_ms = 0;
    std::int64_t window_to_ms = 0;
    std::int64_t reported_at_ms = 0;
    std::vector<std::string> scope;  // empty: every registration before the window ends
    std::set<std::string> notified;
    bool evidence_deleted = false;
    bool closed = false;
    std::string report;
};

// not_found (unknown_incident) for an incident never reported; bad_payload for an event that
// does not decode.
Result<IncidentRecord> load_incident(const EventStore& store, const std::string& id);

}  // namespace kakitome
