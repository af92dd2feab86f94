// IncidentHolds: the applications an open incident keeps from erasure by policy. An incident
// holds the registrations in its scope until it is closed; an incident not yet scoped holds
// every registration received before its window ends (its scope, as the review reads it:
// engine/incident/incident_record.h). Read from the incident streams at one moment.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/workflow/application_record.h"
#include "events/event_store.h"

namespace kakitome::retention {

class IncidentHolds {
  public:
    static Result<IncidentHolds> read(const EventStore& store);

    // "incident:<id>" for each open incident that holds the application, in id order.
    std::vector<std::string> holding(const workflow::ApplicationRecord& record) const;
    // The same for a mail that reached no application: only an incident not yet scoped holds it
    // (received before its window ends); a scope names applications.
    std::vector<std::string> holding_mail(std::int64_t received_at_ms) const;
    std::size_t open_incidents() const { return incidents_.size(); }

  private:
    struct OpenIncident {
        std::string id;
        std::vector<std::string> scope;  // sorted; empty: everything received before window_to
        std::int64_t window_to_ms = 0;
    };
    std::vector<OpenIncident> incidents_;
};

}  // namespace kakitome::retention
