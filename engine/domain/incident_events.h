// The events of an incident's stream (incident-<id>): a responder reports it, scopes the
// affected registrations, notifies them, confirms leaked copies deleted and closes it
// (docs/incidents.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "engine/domain/payload_codec.h"

namespace kakitome::domain {

struct IncidentWindow {
    std::string from;  // RFC 3339
    std::string to;
    static constexpr auto fields() {
        return std::tuple{field("from", &IncidentWindow::from), field("to", &IncidentWindow::to)};
    }
};

struct IncidentReported {
    static constexpr std::string_view kType = "IncidentReported";
    static constexpr int kSchema = 1;
    std::string reporter;
    std::string description;
    IncidentWindow window;
    static constexpr auto fields() {
        using E = IncidentReported;
        return std::tuple{field("reporter", &E::reporter), field("description", &E::description),
                          field("window", &E::window)};
    }
};

// mode "add" widens the scope, "replace" (with a reason) sets it; the first incidents were
// written before modes existed and replace.
struct IncidentScoped {
    static constexpr std::string_view kType = "IncidentScoped";
    static constexpr int kSchema = 1;
    std::vector<std::string> applications;
    std::optional<std::string> mode;
    std::optional<std::string> reason;
    static constexpr auto fields() {
        using E = IncidentScoped;
        return std::tuple{field("applications", &E::applications), field("mode", &E::mode),
                          field("reason", &E::reason)};
    }
};

struct AffectedPartyNotified {
    static constexpr std::string_view kType = "AffectedPartyNotified";
    static constexpr int kSchema = 1;
    std::string application;
    std::string channel;
    static constexpr auto fields() {
        return std::tuple{field("application", &AffectedPartyNotified::application),
                          field("channel", &AffectedPartyNotified::channel)};
    }
};

struct EvidenceDeletionConfirmed {
    static constexpr std::string_view kType = "EvidenceDeletionConfirmed";
    static constexpr int kSchema = 1;
    std::string note;
    static constexpr auto fields() {
        return std::tuple{field("note", &EvidenceDeletionConfirmed::note)};
    }
};

struct IncidentClosed {
    static constexpr std::string_view kType = "IncidentClosed";
    static constexpr int kSchema = 1;
    std::string report;
    static constexpr auto fields() { return std::tuple{field("report", &IncidentClosed::report)}; }
};

}  // namespace kakitome::domain
