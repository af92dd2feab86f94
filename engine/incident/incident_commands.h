// Incident steps as events on "incident-<id>" (design section 5, docs/incidents.md), shared by
// `kakitome incident` and the API's POST /v1/incidents: report, then scope, notify,
// evidence-deleted and close. A closed incident takes no more steps (failed_precondition).
// Arguments are JSON objects; bad ones are invalid_argument. Thread-safe.
#pragma once

#include <string>

#include "events/event_store.h"
#include "projections/disclosure_index.h"

namespace kakitome::incident {

// {description, from, to} (RFC 3339 window) → the new incident's id.
Result<std::string> report(EventStore& store, const std::string& reporter,
                           const std::string& arguments_json);

// step: scope {applications: [...]} | {registered_before: T}; notify {application, channel?};
// evidence-deleted {note?}; close {report}. Returns the seq of the appended event.
Result<Seq> take_step(EventStore& store, const DisclosureIndex& index, const std::string& id,
                      const std::string& step, const std::string& actor,
                      const std::string& arguments_json);

}  // namespace kakitome::incident
