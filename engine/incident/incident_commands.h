// Incident steps as events on "incident-<id>" (docs/incidents.md; the events are
// engine/domain/incident_events.h), shared by `kakitome incident` and the API's POST /v1/incidents:
// report, then scope, notify, evidence-deleted and close. A closed incident takes no more steps
// (failed_precondition). Arguments are JSON objects; bad ones are invalid_argument. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "events/event_store.h"

namespace kakitome::incident {

// What open incidents hold from erasure (engine/retention/incident_holds.h) changes only under
// this lock: report and take_step take it exclusively; retention takes it shared from reading
// the holds to appending an erasure, so a sweep never erases what an incident reported or scoped
// meanwhile holds. One process writes a data directory (api/services.h), so a process-wide lock
// is enough.
std::shared_mutex& holds_lock();

// {description, from, to} (RFC 3339 window) → the new incident's id.
Result<std::string> report(EventStore& store, const std::string& reporter,
                           const std::string& arguments_json);

// The applications registered before a time (ms since the epoch), oldest first: the disclosure
// index answers it (projections/disclosure_index.h) for scope {registered_before}.
using RegisteredBefore = std::function<Result<std::vector<std::string>>(std::int64_t before_ms)>;

// step: scope {applications: [...]} | {registered_before: T}; notify {application, channel?};
// evidence-deleted {note?}; close {report}. Returns the seq of the appended event.
Result<Seq> take_step(EventStore& store, const RegisteredBefore& registered_before,
                      const std::string& id, const std::string& step, const std::string& actor,
                      const std::string& arguments_json);

}  // namespace kakitome::incident
