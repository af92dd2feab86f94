#include "engine/incident/incident_commands.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "engine/domain/domain_event.h"
#include "engine/domain/external_evidence_events.h"
#include "engine/domain/incident_events.h"
#include "engine/domain/streams.h"
#include "engine/domain/upcasting.h"
#include "engine/incident/incident_record.h"
#include "events/base/aead.h"
#include "events/base/timestamp.h"

namespace kakitome::incident {

using nlohmann::json;

namespace {

Result<json> object_of(const std::string& arguments_json) {
    json arguments = json::parse(arguments_json.empty() ? "{}" : arguments_json, nullptr, false);
    if (!arguments.is_object())
        return Status::invalid_argument("incident arguments must be a JSON object")
            .with_reason("invalid_arguments");
    return arguments;
}

std::string text(const json& arguments, const char* key) {
    return arguments.contains(key) && arguments[key].is_string() ? arguments[key].get<std::string>()
                                                                 : std::string();
}

// A registration of another system imported into the incident is in its scope too
// (engine/domain/external_evidence_events.h).
bool is_external_registration(const EventStore& store, const std::string& incident,
                              const std::string& registration) {
    bool found = false;
    const Status read = domain::for_each_current_stream_event(
        store, domain::evidence_stream(incident), [&](const RecordedEvent& event) {
            if (found || !domain::is<domain::ExternalRegistrationImported>(event))
                return Status::ok();
            return domain::when<domain::ExternalRegistrationImported>(
                event, [&](const domain::ExternalRegistrationImported& imported) {
                    found = imported.registration == registration;
                });
        });
    return read.is_ok() && found;
}

}  // namespace

std::shared_mutex& holds_lock() {
    static std::shared_mutex lock;
    return lock;
}

Result<std::string> report(EventStore& store, const std::string& reporter,
                           const std::string& arguments_json) {
    std::unique_lock holds(holds_lock());
    auto arguments = object_of(arguments_json);
    if (!arguments.is_ok()) return arguments.status();
    const std::string description = text(*arguments, "description"),
                      from = text(*arguments, "from"), to = text(*arguments, "to");
    const auto from_ms = parse_rfc3339_ms(from), to_ms = parse_rfc3339_ms(to);
    if (description.empty() || !from_ms || !to_ms || *from_ms >= *to_ms) {
        return Status::invalid_argument(
                   "a report needs a description and an RFC 3339 window from < to")
            .with_reason("invalid_arguments");
    }
    const std::string id = format_rfc3339_ms(system_clock_ms()).substr(0, 10) + "-" + random_hex(6);
    auto appended =
        store.append(domain::incident_stream(id), ExpectedVersion::no_stream(),
                     {domain::new_event(domain::IncidentReported{reporter, description, {from, to}},
                                        {.actor = reporter})});
    if (!appended.is_ok()) return appended.status();
    return id;
}

Result<Seq> take_step(EventStore& store, const RegisteredBefore& registered_before,
                      const std::string& id, const std::string& step, const std::string& actor,
                      const std::string& arguments_json) {
    std::unique_lock holds(holds_lock());
    auto arguments = object_of(arguments_json);
    if (!arguments.is_ok()) return arguments.status();
    auto incident = load_incident(store, id);
    if (!incident.is_ok()) return incident.status();
    if (incident->closed)
        return Status::failed_precondition("incident " + id + " is closed")
            .with_reason("incident_closed");
    const domain::EventContext context{.actor = actor};
    NewEvent event;
    if (step == "scope") {
        std::vector<std::string> applications;
        if (arguments->contains("applications") && (*arguments)["applications"].is_array()) {
            for (const auto& item : (*arguments)["applications"]) {
                if (item.is_string()) applications.push_back(item.get<std::string>());
            }
        } else if (auto before = parse_rfc3339_ms(text(*arguments, "registered_before"))) {
            auto registered = registered_before(*before);
            if (!registered.is_ok()) return registered.status();
            applications = std::move(registered).value();
        } else {
            return Status::invalid_argument("scope needs \"applications\" or \"registered_before\"")
                .with_reason("invalid_arguments");
        }
        std::vector<std::string> unknown;
        for (const auto& application : applications) {
            auto version = store.stream_version(domain::application_stream(application));
            if (!version.is_ok() || version->value == 0) unknown.push_back(application);
        }
        if (!unknown.empty()) {
            std::string list;
            for (const auto& application : unknown)
                list += (list.empty() ? "" : ", ") + application.substr(0, 64);
            return Status::invalid_argument("no such application: " + list)
                .with_reason("unknown_application");
        }
        // A scope grows by default; replacing it is a decision that must say why.
        if (arguments->contains("replace") && !(*arguments)["replace"].is_boolean())
            return Status::invalid_argument("\"replace\" must be true or false")
                .with_reason("invalid_arguments");
        const bool replace = arguments->value("replace", false);
        if (replace && text(*arguments, "reason").empty())
            return Status::invalid_argument("replacing the scope needs a \"reason\"")
                .with_reason("missing_argument");
        domain::IncidentScoped scoped{applications, replace ? "replace" : "add", std::nullopt};
        if (replace) scoped.reason = text(*arguments, "reason");
        event = domain::new_event(scoped, context);
    } else if (step == "notify") {
        if (text(*arguments, "application").empty())
            return Status::invalid_argument("notify needs \"application\"")
                .with_reason("invalid_arguments");
        const auto& scope = incident->scope;
        if (std::find(scope.begin(), scope.end(), text(*arguments, "application")) == scope.end() &&
            !is_external_registration(store, id, text(*arguments, "application")))
            return Status::invalid_argument("application " +
                                            text(*arguments, "application").substr(0, 64) +
                                            " is not in the incident's scope (scope it first)")
                .with_reason("not_in_scope");
        event = domain::new_event(
            domain::AffectedPartyNotified{
                text(*arguments, "application"),
                text(*arguments, "channel").empty() ? "mail" : text(*arguments, "channel")},
            context);
    } else if (step == "evidence-deleted") {
        event =
            domain::new_event(domain::EvidenceDeletionConfirmed{text(*arguments, "note")}, context);
    } else if (step == "close") {
        if (text(*arguments, "report").empty())
            return Status::invalid_argument("close needs \"report\"")
                .with_reason("invalid_arguments");
        event = domain::new_event(domain::IncidentClosed{text(*arguments, "report")}, context);
    } else {
        return Status::invalid_argument("unknown incident step '" + step + "'")
            .with_reason("unknown_step");
    }
    auto appended =
        store.append(domain::incident_stream(id), ExpectedVersion::any(), {std::move(event)});
    if (!appended.is_ok()) return appended.status();
    return appended->last_seq;
}

}  // namespace kakitome::incident
