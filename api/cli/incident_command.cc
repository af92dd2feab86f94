// kakitome incident [--data DIR] who-saw APP_ID | saw-what PRINCIPAL
// kakitome incident [--data DIR] review --from T --to T [--incident ID] [--csv|--json]
//                                       [--sensitive] [--financial-risk] [--unauthorised-purpose]
// kakitome incident [--data DIR] report --description TEXT --from T --to T [--reporter NAME]
// kakitome incident [--data DIR] scope ID (--applications A,B,... | --registered-before T)
//                                     [--replace --reason TEXT]   (default: added to the scope)
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
#include "engine/incident/incident_commands.h"
#include "events/base/timestamp.h"
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
    auto arguments = Arguments::parse(
        words,
        {"data", "master-key", "ledger-key", "config", "reserve-free-bytes", "now", "from", "to",
         "incident", "description", "reporter", "applications", "registered-before", "channel",
         "note", "report", "reason"},
        {"csv", "json", "sensitive", "financial-risk", "unauthorised-purpose", "replace"});
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
            "       kakitome incident scope ID (--applications A,B | --registered-before T) "
            "[--replace --reason TEXT]\n"
            "       kakitome incident notify ID APP_ID [--channel mail] | evidence-deleted ID | "
            "close ID --report TEXT\n");
        return kExitBadInput;
    }
    const bool query = action == "who-saw" || action == "saw-what" || action == "review";
    // Queries read (beside a running server too); steps append to the incident's stream.
    std::unique_ptr<Reader> reader;
    std::unique_ptr<Services> services;
    if (query) {
        reader = open_reader_or_report("incident", arguments.value());
        if (!reader) return kExitStoreError;
        if (const auto lag = reader->disclosure_lag(); lag > 0)
            std::fprintf(stderr,
                         "kakitome incident: note: the running server has not yet indexed the "
                         "last %llu events; they appear within a second or two\n",
                         static_cast<unsigned long long>(lag));
    } else {
        services = open_services_or_report("incident", arguments.value());
        if (!services) return kExitStoreError;
    }
    EventStore& store = query ? *reader->store : services->store();
    DisclosureIndex query_index(store);
    const DisclosureIndex& index = query ? query_index : services->disclosures();

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

    // Incident steps: events on the incident's own stream (engine/incident).
    if (action == "report") {
        const json report_arguments{{"description", arguments->value_or("description", "")},
                                    {"from", arguments->value_or("from", "")},
                                    {"to", arguments->value_or("to", "")}};
        auto id = incident::report(store, arguments->value_or("reporter", "cli"),
                                   report_arguments.dump());
        if (!id.is_ok()) return fail(id.status());
        std::printf("%s\n", json{{"incident", id.value()}, {"action", action}}.dump().c_str());
        return kExitOk;
    }
    json step_arguments = json::object();
    if (action == "scope") {
        if (auto list = arguments->value("applications"))
            step_arguments["applications"] = split_commas(*list);
        if (auto before = arguments->value("registered-before"))
            step_arguments["registered_before"] = *before;
        if (arguments->has("replace")) step_arguments["replace"] = true;
        if (auto reason = arguments->value("reason")) step_arguments["reason"] = *reason;
    } else if (action == "notify") {
        step_arguments = {{"application", positionals[2]},
                          {"channel", arguments->value_or("channel", "mail")}};
    } else if (action == "evidence-deleted") {
        step_arguments = {{"note", arguments->value_or("note", "")}};
    } else if (action == "close") {
        step_arguments = {{"report", arguments->value_or("report", "")}};
    }
    auto seq = incident::take_step(
        store, [&](std::int64_t before_ms) { return index.registered_before(before_ms); },
        positionals[1], action, "cli", step_arguments.dump());
    if (!seq.is_ok()) {
        if (seq.status().code() == StatusCode::failed_precondition) {
            std::fprintf(stderr, "kakitome incident: %s\n", seq.status().message().c_str());
            return kExitRefused;
        }
        return fail(seq.status());
    }
    std::printf(
        "%s\n",
        json{{"incident", positionals[1]}, {"action", action}, {"seq", seq->value}}.dump().c_str());
    return kExitOk;
}

}  // namespace kakitome::cli
