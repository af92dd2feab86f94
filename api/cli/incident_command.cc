// kakitome incident [--data DIR] who-saw APP_ID | saw-what PRINCIPAL
// kakitome incident [--data DIR] review --from T --to T [--incident ID] [--csv|--json]
//                                       [--sensitive] [--financial-risk] [--unauthorised-purpose]
// kakitome incident [--data DIR] report --description TEXT --from T --to T [--reporter NAME]
// kakitome incident [--data DIR] scope ID (--applications A,B,... | --registered-before T)
// kakitome incident [--data DIR] notify ID APP_ID [--channel mail|phone|letter]
// kakitome incident [--data DIR] evidence-deleted ID [--note TEXT]
// kakitome incident [--data DIR] close ID --report TEXT
// Incident inquiry over the disclosure ledger (docs/incidents.md). Queries bring the
// disclosure index up to date first; the incident's own steps are events on "incident-<id>".
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "api/cli/arguments.h"
#include "api/cli/commands.h"
#include "api/cli/store_access.h"
#include "events/aead.h"
#include "events/sha256.h"
#include "events/timestamp.h"
#include "projections/incident_review.h"

namespace kakitome::cli {

namespace {

using nlohmann::json;

int fail(const Status& status) {
    std::fprintf(stderr, "kakitome incident: %s\n", status.to_string().c_str());
    return status.code() == StatusCode::invalid_argument || status.code() == StatusCode::not_found
               ? kExitBadInput
               : kExitStoreError;
}

json records_json(const std::vector<DisclosureRecord>& records) {
    return json::parse(disclosures_to_json(records));
}

std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    for (std::string part; std::getline(in, part, ',');) {
        if (!part.empty()) out.push_back(part);
    }
    return out;
}

}  // namespace

int run_incident(const Words& words) {
    auto arguments =
        Arguments::parse(words,
                         {"data", "master-key", "from", "to", "incident", "description", "reporter",
                          "applications", "registered-before", "channel", "note", "report"},
                         {"csv", "json", "sensitive", "financial-risk", "unauthorised-purpose"});
    const auto& positionals = arguments.is_ok() ? arguments->positionals() : Words{};
    const std::string action = positionals.empty() ? "" : positionals[0];
    static const std::map<std::string, std::size_t> kPositionals = {
        {"who-saw", 2}, {"saw-what", 2}, {"review", 1},           {"report", 1},
        {"scope", 2},   {"notify", 3},   {"evidence-deleted", 2}, {"close", 2}};
    auto expected = kPositionals.find(action);
    if (!arguments.is_ok() || expected == kPositionals.end() ||
        positionals.size() != expected->second) {
        std::fprintf(
            stderr,
            "usage: kakitome incident who-saw APP_ID | saw-what PRINCIPAL\n"
            "       kakitome incident review --from T --to T [--incident ID] [--csv|--json]\n"
            "       kakitome incident report --description TEXT --from T --to T [--reporter NAME]\n"
            "       kakitome incident scope ID (--applications A,B | --registered-before T)\n"
            "       kakitome incident notify ID APP_ID [--channel mail] | evidence-deleted ID | "
            "close ID --report TEXT\n");
        return kExitBadInput;
    }
    auto environment =
        open_environment_or_report("incident", arguments->value_or("data", kDefaultDataDirectory),
                                   arguments->value_or("master-key", ""));
    if (!environment) return kExitStoreError;
    EventStore& store = *environment->store;
    DisclosureIndex index(store);
    if (auto caught_up = index.catch_up(); !caught_up.is_ok()) return fail(caught_up);

    if (action == "who-saw" || action == "saw-what") {
        auto records =
            action == "who-saw" ? index.who_saw(positionals[1]) : index.saw_what(positionals[1]);
        if (!records.is_ok()) return fail(records.status());
        std::printf("%s\n",
                    json{{action == "who-saw" ? "application" : "principal", positionals[1]},
                         {"disclosures", records_json(records.value())}}
                        .dump()
                        .c_str());
        return kExitOk;
    }
    if (action == "review") {
        auto from = parse_rfc3339_ms(arguments->value_or("from", ""));
        auto to = parse_rfc3339_ms(arguments->value_or("to", ""));
        std::optional<IncidentRecord> incident;
        if (auto id = arguments->value("incident")) {
            auto loaded = load_incident(store, *id);
            if (!loaded.is_ok()) return fail(loaded.status());
            incident = loaded.value();
            if (!from) from = incident->window_from_ms;
            if (!to) to = incident->window_to_ms;
        }
        if (!from || !to || *from >= *to) {
            std::fprintf(stderr,
                         "kakitome incident: review needs --from < --to (RFC 3339) or an "
                         "--incident with a window\n");
            return kExitBadInput;
        }
        const AppiFacts facts{arguments->has("sensitive"), arguments->has("financial-risk"),
                              arguments->has("unauthorised-purpose")};
        auto review = review_incident(index, *from, *to, incident, facts);
        if (!review.is_ok()) return fail(review.status());
        const std::string out = arguments->has("csv")    ? review_as_csv(review.value())
                                : arguments->has("json") ? review_as_json(review.value()) + "\n"
                                                         : review_as_text(review.value());
        std::fputs(out.c_str(), stdout);
        return kExitOk;
    }

    // Incident steps: events on the incident's own stream.
    std::string id;
    std::vector<NewEvent> events;
    ExpectedVersion expected_version = ExpectedVersion::any();
    auto make = [](const std::string& type, const json& payload) {
        return NewEvent{.type = type, .payload_json = payload.dump(), .actor = "cli"};
    };
    if (action == "report") {
        const auto from = arguments->value("from"), to = arguments->value("to");
        if (!arguments->has("description") || !from || !to || !parse_rfc3339_ms(*from) ||
            !parse_rfc3339_ms(*to)) {
            std::fprintf(
                stderr,
                "kakitome incident: report needs --description and an RFC 3339 --from and --to\n");
            return kExitBadInput;
        }
        std::uint8_t bytes[6];
        random_bytes(bytes, sizeof bytes);
        id = format_rfc3339_ms(system_clock_ms()).substr(0, 10) + "-" + to_hex(bytes, sizeof bytes);
        expected_version = ExpectedVersion::no_stream();
        events.push_back(
            make("IncidentReported", {{"reporter", arguments->value_or("reporter", "cli")},
                                      {"description", *arguments->value("description")},
                                      {"window", {{"from", *from}, {"to", *to}}}}));
    } else {
        id = positionals[1];
        auto incident = load_incident(store, id);
        if (!incident.is_ok()) return fail(incident.status());
        if (incident->closed) {
            std::fprintf(stderr, "kakitome incident: %s is closed\n", id.c_str());
            return kExitRefused;
        }
        if (action == "scope") {
            std::vector<std::string> applications;
            if (auto list = arguments->value("applications")) {
                applications = split_commas(*list);
            } else if (auto before = arguments->value("registered-before");
                       before && parse_rfc3339_ms(*before)) {
                auto registered = index.registered_in(0, *parse_rfc3339_ms(*before));
                if (!registered.is_ok()) return fail(registered.status());
                for (const auto& registration : registered.value())
                    applications.push_back(registration.application);
            } else {
                std::fprintf(
                    stderr,
                    "kakitome incident: scope needs --applications A,B or --registered-before T\n");
                return kExitBadInput;
            }
            events.push_back(make("IncidentScoped", {{"applications", applications}}));
        } else if (action == "notify") {
            events.push_back(make("AffectedPartyNotified",
                                  {{"application", positionals[2]},
                                   {"channel", arguments->value_or("channel", "mail")}}));
        } else if (action == "evidence-deleted") {
            events.push_back(
                make("EvidenceDeletionConfirmed", {{"note", arguments->value_or("note", "")}}));
        } else if (action == "close") {
            if (!arguments->has("report")) {
                std::fprintf(stderr, "kakitome incident: close needs --report TEXT\n");
                return kExitBadInput;
            }
            events.push_back(make("IncidentClosed", {{"report", *arguments->value("report")}}));
        }
    }
    auto appended = store.append(incident_stream(id), expected_version, std::move(events));
    if (!appended.is_ok()) return fail(appended.status());
    std::printf("%s\n",
                json{{"incident", id}, {"action", action}, {"seq", appended->last_seq.value}}
                    .dump()
                    .c_str());
    return kExitOk;
}

}  // namespace kakitome::cli
