#include "engine/retention/incident_holds.h"

#include <algorithm>

#include "engine/domain/streams.h"
#include "engine/incident/incident_record.h"

namespace kakitome::retention {

Result<IncidentHolds> IncidentHolds::read(const EventStore& store) {
    auto streams = store.stream_names(domain::kIncidentStreamPrefix);
    if (!streams.is_ok()) return streams.status();
    IncidentHolds holds;
    for (const auto& stream : streams.value()) {
        const auto id = domain::incident_of(stream);
        if (!id) continue;
        auto incident = load_incident(store, *id);
        if (!incident.is_ok()) return incident.status();
        if (incident->closed) continue;
        OpenIncident open{incident->id, incident->scope, incident->window_to_ms};
        std::sort(open.scope.begin(), open.scope.end());
        holds.incidents_.push_back(std::move(open));
    }
    std::sort(holds.incidents_.begin(), holds.incidents_.end(),
              [](const OpenIncident& a, const OpenIncident& b) { return a.id < b.id; });
    return holds;
}

std::vector<std::string> IncidentHolds::holding(const workflow::ApplicationRecord& record) const {
    std::vector<std::string> held_by;
    for (const auto& incident : incidents_) {
        const bool in_scope = incident.scope.empty()
                                  ? record.received_at_ms <= incident.window_to_ms
                                  : std::binary_search(incident.scope.begin(), incident.scope.end(),
                                                       record.application);
        if (in_scope) held_by.push_back("incident:" + incident.id);
    }
    return held_by;
}

std::vector<std::string> IncidentHolds::holding_mail(std::int64_t received_at_ms) const {
    std::vector<std::string> held_by;
    for (const auto& incident : incidents_) {
        if (incident.scope.empty() && received_at_ms <= incident.window_to_ms)
            held_by.push_back("incident:" + incident.id);
    }
    return held_by;
}

}  // namespace kakitome::retention
