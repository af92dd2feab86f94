// The incident routes: report and steps, who-saw, saw-what and the review.
#include "api/service_impl.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <variant>

#include "api/routes.h"
#include "engine/domain/access_events.h"
#include "engine/domain/application_state.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/download/download_service.h"
#include "engine/evidence/evidence_import.h"
#include "engine/incident/incident_commands.h"
#include "engine/incident/incident_record.h"
#include "engine/workflow/applicant_contact.h"
#include "engine/workflow/application_record.h"
#include "engine/workflow/workflow_commands.h"
#include "events/base/aead.h"
#include "events/base/base64.h"
#include "events/base/sha256.h"
#include "events/base/timestamp.h"
#include "projections/external_evidence.h"
#include "projections/incident_review.h"

namespace kakitome::api {

HttpResponse ApiService::Impl::incident(Context& context, RouteId id) {
    auto records_json = [](const std::vector<DisclosureRecord>& records) {
        return json::parse(disclosures_to_json(records));
    };
    if (id == RouteId::incident_list) {
        // Newest first, each as its own stream says now.
        json items = json::array();
        for (const auto& incident_id : d.read_models.incidents()) {
            auto record = load_incident(d.store, incident_id);
            if (!record.is_ok()) return problem_for(record.status());
            items.push_back({{"incident", record->id},
                             {"reporter", record->reporter},
                             {"description", record->description},
                             {"reported_at", format_rfc3339_ms(record->reported_at_ms)},
                             {"window_from", format_rfc3339_ms(record->window_from_ms)},
                             {"window_to", format_rfc3339_ms(record->window_to_ms)},
                             {"scope", record->scope.empty() ? json("registered_before_window_end")
                                                             : json(record->scope.size())},
                             {"notified", record->notified.size()},
                             {"evidence_deleted", record->evidence_deleted},
                             {"closed", record->closed}});
        }
        return json_response(200, {{"items", items}});
    }
    if (id == RouteId::incident_report) {
        auto created = incident::report(d.store, context.principal->name, context.request.body);
        if (!created.is_ok()) return problem_for(created.status());
        return json_response(201, {{"incident", created.value()}});
    }
    if (id == RouteId::incident_step && context.match.parameters.at("step") == "mapping") {
        // How to read another system's files: the body is the mapping (evidence_mapping.h).
        const std::string& incident_id = context.match.parameters.at("incident");
        auto recorded = evidence::record_mapping(d.store, incident_id, context.request.body,
                                                 context.principal->name);
        if (!recorded.is_ok()) return problem_for(recorded.status());
        return json_response(200, {{"incident", incident_id},
                                   {"step", "mapping"},
                                   {"seq", recorded.value()},
                                   {"changed", recorded.value() > 0}});
    }
    if (id == RouteId::incident_step && context.match.parameters.at("step") == "erase-evidence") {
        const std::string& incident_id = context.match.parameters.at("incident");
        const json arguments = json::parse(context.request.body, nullptr, false);
        auto erased = evidence::erase_evidence(
            d.store, d.vault, incident_id,
            arguments.is_object() ? arguments.value("reason", "") : std::string(),
            context.principal->name);
        if (!erased.is_ok()) return problem_for(erased.status());
        return json_response(
            200, {{"incident", incident_id}, {"step", "erase-evidence"}, {"seq", erased.value()}});
    }
    if (id == RouteId::incident_step) {
        const std::string& incident_id = context.match.parameters.at("incident");
        auto seq = incident::take_step(
            d.store,
            [&](std::int64_t before_ms) { return d.disclosures.registered_before(before_ms); },
            incident_id, context.match.parameters.at("step"), context.principal->name,
            context.request.body);
        if (!seq.is_ok()) return problem_for(seq.status());
        return json_response(200, {{"incident", incident_id},
                                   {"step", context.match.parameters.at("step")},
                                   {"seq", seq->value}});
    }
    if (id == RouteId::incident_contact) {
        const std::string& application = context.match.parameters.at("id");
        auto loaded = load_incident(d.store, context.match.parameters.at("incident"));
        if (!loaded.is_ok()) return problem_for(loaded.status());
        // A registrant of another system imported into the incident (docs/incidents.md).
        auto external =
            evidence::open_external_registration(d.store, d.vault, loaded->id, application);
        if (!external.is_ok()) {
            if (external.status().reason() == "erased")
                return problem(410, "erased", "the incident's evidence was erased");
            return problem_for(external.status());
        }
        if (external->has_value()) {
            static const std::vector<std::string> kExternalNotifyFields = {
                "organization", "name", "contact_email", "phone"};
            if (auto logged = disclose(context, {application}, kExternalNotifyFields);
                !logged.is_ok())
                return disclosure_not_recorded(logged);
            const auto& contact = **external;
            return json_response(200, {{"application", application},
                                       {"external", true},
                                       {"organization", contact.organization},
                                       {"department", contact.department},
                                       {"name", contact.name},
                                       {"contact_email", contact.email},
                                       {"phone", contact.phone}});
        }
        // An empty scope is every registration before the window ends (incident_record.h).
        bool in_scope = std::find(loaded->scope.begin(), loaded->scope.end(), application) !=
                        loaded->scope.end();
        if (loaded->scope.empty()) {
            auto registered = d.disclosures.registration(application);
            if (!registered.is_ok()) return problem_for(registered.status());
            in_scope =
                registered->has_value() && (*registered)->registered_at_ms < loaded->window_to_ms;
        }
        if (!in_scope)
            return problem(403, "not_in_scope", "the application is not in this incident's scope");
        auto record = workflow::load_application(d.store, application);
        if (!record.is_ok()) return problem_for(record.status());
        if (record->erased) return problem(410, "erased", "the application was erased");
        auto opened = workflow::open_applicant_contact(application, record->sender_sealed,
                                                       record->form_sealed, d.vault);
        if (!opened.is_ok()) return problem_for(opened.status());
        // Only what notifying needs, and only after the disclosure is durable.
        static const std::vector<std::string> kNotifyFields = {"organization", "contact_email"};
        if (auto logged = disclose(context, {application}, kNotifyFields); !logged.is_ok())
            return disclosure_not_recorded(logged);
        return json_response(200, {{"application", application},
                                   {"organization", opened->organization},
                                   {"contact_email", opened->contact_email}});
    }
    if (id == RouteId::incident_who_saw) {
        auto records = d.disclosures.who_saw(context.match.parameters.at("id"));
        if (!records.is_ok()) return problem_for(records.status());
        return json_response(200, {{"application", context.match.parameters.at("id")},
                                   {"disclosures", records_json(records.value())}});
    }
    if (id == RouteId::incident_saw_what) {
        auto records = d.disclosures.saw_what(context.match.parameters.at("principal"));
        if (!records.is_ok()) return problem_for(records.status());
        return json_response(200, {{"principal", context.match.parameters.at("principal")},
                                   {"disclosures", records_json(records.value())}});
    }
    auto from = parse_rfc3339_ms(context.query.count("from") ? context.query["from"] : "");
    auto to = parse_rfc3339_ms(context.query.count("to") ? context.query["to"] : "");
    if (!from || !to || *from >= *to)
        return problem(400, "invalid_window", "need from < to, both RFC 3339 times");
    std::optional<IncidentRecord> incident_record;
    if (context.query.count("incident")) {
        auto loaded = load_incident(d.store, context.query["incident"]);
        if (!loaded.is_ok()) return problem_for(loaded.status());
        incident_record = loaded.value();
    }
    std::optional<ExternalEvidenceReview> external;
    if (incident_record) {
        auto loaded = review_external_evidence(d.store, incident_record->id, *from, *to);
        if (!loaded.is_ok()) return problem_for(loaded.status());
        external = std::move(loaded).value();
    }
    auto review = review_incident(d.disclosures, *from, *to, incident_record, {},
                                  external ? &*external : nullptr);
    if (!review.is_ok()) return problem_for(review.status());
    json body = json::parse(review_as_json(review.value()));
    body["deadlines"] = json::parse(
        deadlines_as_json(report_deadlines(review.value(), d.clock_ms(), d.config.calendar)));
    return json_response(200, body);
}

}  // namespace kakitome::api
