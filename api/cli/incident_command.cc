// kakitome incident [--data DIR] who-saw APP_ID | saw-what PRINCIPAL
// kakitome incident [--data DIR] review --from T --to T [--incident ID] [--csv|--json]
//                                       [--sensitive] [--financial-risk] [--unauthorised-purpose]
// kakitome incident [--data DIR] report --description TEXT --from T --to T [--reporter NAME]
// kakitome incident [--data DIR] scope ID (--applications A,B,... | --registered-before T)
//                                     [--replace --reason TEXT]   (default: added to the scope)
// kakitome incident [--data DIR] notify ID APP_ID [--channel mail|phone|letter]
// kakitome incident [--data DIR] evidence-deleted ID [--note TEXT]
// kakitome incident [--data DIR] close ID --report TEXT
// kakitome incident [--data DIR] mapping ID --mapping FILE
// kakitome incident [--data DIR] import-registrations ID --csv FILE [--mapping FILE]
// kakitome incident [--data DIR] import-access-log ID --format F [--mapping FILE] FILE...
//                                     (F: cloudfront | nginx-combined | apache-combined | jsonl)
// kakitome incident [--data DIR] evidence ID [--out FILE]
// kakitome incident [--data DIR] erase-evidence ID --reason TEXT
// Incident inquiry over the disclosure ledger (docs/incidents.md). Queries bring the
// disclosure index up to date first; the incident's own steps are events on "incident-<id>".
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "api/cli/arguments.h"
#include "api/cli/commands.h"
#include "api/cli/store_access.h"
#include "engine/evidence/evidence_import.h"
#include "engine/incident/incident_commands.h"
#include "events/base/timestamp.h"
#include "projections/external_evidence.h"
#include "projections/incident_review.h"
#include "replay/evidence_bundle.h"

#include <filesystem>
#include <fstream>
#include <iostream>

namespace kakitome::cli {

namespace {

using nlohmann::json;

int fail(const Status& status) {
    std::fprintf(stderr, "kakitome incident: %s\n", status.to_string().c_str());
    if (status.code() == StatusCode::failed_precondition) return kExitRefused;
    return status.code() == StatusCode::invalid_argument || status.code() == StatusCode::not_found
               ? kExitBadInput
               : kExitStoreError;
}

json records_json(const std::vector<DisclosureRecord>& records) {
    return json::parse(disclosures_to_json(records));
}

json import_outcome_json(const std::string& incident, const evidence::ImportOutcome& outcome) {
    json bad = json::array();
    for (const auto& line : outcome.file.first_bad_lines)
        bad.push_back({{"line", line.line}, {"reason", line.reason}});
    return {{"incident", incident},
            {"file", outcome.file.name},
            {"sha256", outcome.file.sha256},
            {"duplicate", outcome.duplicate},
            {"seq", outcome.seq},
            {"lines", outcome.file.lines},
            {"recorded", outcome.file.recorded},
            {"unrelated", outcome.file.unrelated},
            {"already_recorded", outcome.file.already_recorded},
            {"bad_lines", outcome.file.bad_lines},
            {"first_bad_lines", bad}};
}

// Mapping, imports and the evidence bundle: another system's evidence for an incident.
int run_external_evidence(Services& services, const Arguments& arguments) {
    const auto& positionals = arguments.positionals();
    const std::string& action = positionals[0];
    const std::string& id = positionals[1];
    if (auto mapping_path = arguments.value("mapping")) {
        std::ifstream in(*mapping_path, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "kakitome incident: cannot read %s\n", mapping_path->c_str());
            return kExitBadInput;
        }
        const std::string text((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
        auto recorded = evidence::record_mapping(services.store(), id, text, "cli");
        if (!recorded.is_ok()) return fail(recorded.status());
        if (recorded.value() > 0)
            std::fprintf(stderr, "kakitome incident: mapping recorded (seq %llu)\n",
                         static_cast<unsigned long long>(recorded.value()));
    }
    if (action == "mapping") {
        if (!arguments.has("mapping")) {
            std::fprintf(stderr, "usage: kakitome incident mapping ID --mapping FILE\n");
            return kExitBadInput;
        }
        std::printf("%s\n", json{{"incident", id}, {"action", action}}.dump().c_str());
        return kExitOk;
    }
    if (action == "erase-evidence") {
        auto erased = evidence::erase_evidence(services.store(), services.vault(), id,
                                               arguments.value_or("reason", ""), "cli");
        if (!erased.is_ok()) return fail(erased.status());
        std::printf(
            "%s\n",
            json{{"incident", id}, {"action", action}, {"seq", erased.value()}}.dump().c_str());
        return kExitOk;
    }
    if (action == "evidence") {
        // The bundle must end on a signature over the incident's last event.
        auto signed_checkpoint = services.ledger().cut_checkpoint();
        if (!signed_checkpoint.is_ok()) return fail(signed_checkpoint.status());
        std::ofstream file;
        if (auto out = arguments.value("out")) file.open(*out, std::ios::binary | std::ios::trunc);
        std::ostream& out = arguments.has("out") ? static_cast<std::ostream&>(file) : std::cout;
        auto report = write_evidence_bundle(services.store(), services.ledger(), id, out);
        if (!report.is_ok()) return fail(report.status());
        std::fprintf(stderr,
                     "kakitome incident: evidence bundle: %llu events, %llu files, "
                     "signed at log size %llu\n",
                     static_cast<unsigned long long>(report->events),
                     static_cast<unsigned long long>(report->files),
                     static_cast<unsigned long long>(report->checkpoint_size));
        return kExitOk;
    }
    std::vector<evidence::ImportSource> sources;
    if (action == "import-registrations") {
        // --csv is also the review's output switch, so the file is the word after it.
        if (!arguments.has("csv") || positionals.size() != 3) {
            std::fprintf(stderr,
                         "usage: kakitome incident import-registrations ID --csv FILE "
                         "[--mapping FILE]\n");
            return kExitBadInput;
        }
        const std::filesystem::path path = positionals[2];
        sources.push_back({path, path.filename().string()});
    } else {
        for (std::size_t i = 2; i < positionals.size(); ++i)
            sources.push_back({positionals[i], std::filesystem::path(positionals[i]).filename()});
    }
    const auto format = evidence::log_format_named(arguments.value_or("format", ""));
    if (action == "import-access-log" && (!format || sources.empty())) {
        std::fprintf(stderr,
                     "usage: kakitome incident import-access-log ID --format "
                     "cloudfront|nginx-combined|apache-combined|jsonl FILE...\n");
        return kExitBadInput;
    }
    int exit_code = kExitOk;
    auto report = [&](const evidence::ImportSource& source,
                      const Result<evidence::ImportOutcome>& outcome) {
        if (!outcome.is_ok()) {
            std::fprintf(stderr, "kakitome incident: %s: %s\n", source.name.c_str(),
                         outcome.status().to_string().c_str());
            exit_code = fail(outcome.status());
            return;
        }
        if (outcome->duplicate)
            std::fprintf(stderr,
                         "kakitome incident: %s was imported before (seq %llu); nothing added\n",
                         source.name.c_str(), static_cast<unsigned long long>(outcome->seq));
        for (const auto& bad : outcome->duplicate ? std::vector<domain::ExternalBadLine>{}
                                                  : outcome->file.first_bad_lines)
            std::fprintf(stderr, "kakitome incident: %s:%lld: not read: %s\n", source.name.c_str(),
                         static_cast<long long>(bad.line), bad.reason.c_str());
        std::printf("%s\n", import_outcome_json(id, outcome.value()).dump().c_str());
        std::fflush(stdout);
    };
    if (action == "import-registrations") {
        report(sources[0], evidence::import_registrations(services.store(), services.vault(), id,
                                                          sources[0], "cli"));
        return exit_code;
    }
    std::string current;
    evidence::import_access_logs(
        services.store(), services.vault(), id, *format, sources, "cli",
        [&](std::uint64_t lines) {
            std::fprintf(stderr, "kakitome incident: %llu lines read\n",
                         static_cast<unsigned long long>(lines));
        },
        report);
    return exit_code;
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
        {"data",
         "master-key",
         "ledger-key",
         "config",
         "reserve-free-bytes",
         "now",
         "from",
         "to",
         "incident",
         "description",
         "reporter",
         "applications",
         "registered-before",
         "channel",
         "note",
         "report",
         "reason",
         "mapping",
         "format",
         "out"},
        {"csv", "json", "sensitive", "financial-risk", "unauthorised-purpose", "replace"});
    const auto& positionals = arguments.is_ok() ? arguments->positionals() : Words{};
    const std::string action = positionals.empty() ? "" : positionals[0];
    static const std::map<std::string, std::size_t> kPositionals = {{"who-saw", 2},
                                                                    {"saw-what", 2},
                                                                    {"review", 1},
                                                                    {"report", 1},
                                                                    {"scope", 2},
                                                                    {"notify", 3},
                                                                    {"evidence-deleted", 2},
                                                                    {"close", 2},
                                                                    {"mapping", 2},
                                                                    {"import-registrations", 3},
                                                                    {"import-access-log", 0},
                                                                    {"evidence", 2},
                                                                    {"erase-evidence", 2}};
    auto expected = kPositionals.find(action);
    // 0: at least the incident and one file.
    if (!arguments.is_ok() || expected == kPositionals.end() ||
        (expected->second == 0 ? positionals.size() < 3 : positionals.size() != expected->second)) {
        std::fprintf(
            stderr,
            "usage: kakitome incident who-saw APP_ID | saw-what PRINCIPAL\n"
            "       kakitome incident review --from T --to T [--incident ID] [--csv|--json]\n"
            "       kakitome incident report --description TEXT --from T --to T [--reporter NAME]\n"
            "       kakitome incident scope ID (--applications A,B | --registered-before T) "
            "[--replace --reason TEXT]\n"
            "       kakitome incident notify ID APP_ID [--channel mail] | evidence-deleted ID | "
            "close ID --report TEXT\n"
            "       kakitome incident mapping ID --mapping FILE\n"
            "       kakitome incident import-registrations ID --csv FILE [--mapping FILE]\n"
            "       kakitome incident import-access-log ID --format "
            "cloudfront|nginx-combined|apache-combined|jsonl [--mapping FILE] FILE...\n"
            "       kakitome incident evidence ID [--out FILE]\n"
            "       kakitome incident erase-evidence ID --reason TEXT\n");
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
    if (action == "mapping" || action == "import-registrations" || action == "import-access-log" ||
        action == "evidence" || action == "erase-evidence")
        return run_external_evidence(*services, arguments.value());
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
        std::optional<ExternalEvidenceReview> external;
        if (incident) {
            auto loaded = review_external_evidence(store, incident->id, *from, *to);
            if (!loaded.is_ok()) return fail(loaded.status());
            external = std::move(loaded).value();
        }
        auto review =
            review_incident(index, *from, *to, incident, facts, external ? &*external : nullptr);
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
