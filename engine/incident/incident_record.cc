#include "engine/incident/incident_record.h"

#include <algorithm>

#include "engine/domain/domain_event.h"
#include "engine/domain/incident_events.h"
#include "engine/domain/streams.h"
#include "engine/domain/upcasting.h"
#include "events/base/timestamp.h"

namespace kakitome {

Result<IncidentRecord> load_incident(const EventStore& store, const std::string& id) {
    using namespace domain;
    auto events = read_current_stream(store, incident_stream(id));
    if (!events.is_ok()) return events.status();
    if (events->empty())
        return Status::not_found("no incident " + id).with_reason("unknown_incident");
    IncidentRecord record;
    record.id = id;
    for (const auto& event : events.value()) {
        KAKITOME_RETURN_IF_ERROR(when<IncidentReported>(event, [&](const IncidentReported& r) {
            record.reporter = r.reporter;
            record.description = r.description;
            record.window_from_ms = parse_rfc3339_ms(r.window.from).value_or(0);
            record.window_to_ms = parse_rfc3339_ms(r.window.to).value_or(0);
            record.reported_at_ms = parse_rfc3339_ms(event.at).value_or(0);
        }));
        KAKITOME_RETURN_IF_ERROR(when<IncidentScoped>(event, [&](const IncidentScoped& scoped) {
            // "add" widens the scope; "replace" (and the first events, written before modes
            // existed) sets it.
            if (scoped.mode.value_or("replace") == "add") {
                for (const auto& application : scoped.applications) {
                    if (std::find(record.scope.begin(), record.scope.end(), application) ==
                        record.scope.end())
                        record.scope.push_back(application);
                }
            } else {
                record.scope = scoped.applications;
            }
        }));
        KAKITOME_RETURN_IF_ERROR(when<AffectedPartyNotified>(
            event, [&](const AffectedPartyNotified& n) { record.notified.insert(n.application); }));
        if (is<EvidenceDeletionConfirmed>(event)) record.evidence_deleted = true;
        KAKITOME_RETURN_IF_ERROR(when<IncidentClosed>(event, [&](const IncidentClosed& closed) {
            record.closed = true;
            record.report = closed.report;
        }));
    }
    return record;
}

}  // namespace kakitome
