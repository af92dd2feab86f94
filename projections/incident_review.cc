#include "projections/incident_review.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "engine/workflow/civil_date.h"
#include "events/base/timestamp.h"
#include "projections/external_evidence.h"

namespace kakitome {

using nlohmann::json;

bool authorised_role(const std::string& role) {
    // A responder opens an affected applicant's contact to notify them: the incident's own work.
    return role == "operator" || role == "supervisor" || role == "auditor" || role == "responder";
}

namespace {

// APPI enforcement rules Art. 7(iv): a leak of more than 1,000 persons' data must be reported
// whatever the data was.
constexpr std::size_t kAppiReportableAffectedPersons = 1000;

std::string jst_day(std::int64_t epoch_ms) {
    return workflow::jst_date_of(epoch_ms).to_string();
}

}  // namespace

Result<IncidentReview> review_incident(const DisclosureIndex& index, std::int64_t from_ms,
                                       std::int64_t to_ms,
                                       const std::optional<IncidentRecord>& incident,
                                       const AppiFacts& facts,
                                       const ExternalEvidenceReview* external) {
    IncidentReview review;
    review.from_ms = from_ms;
    review.to_ms = to_ms;
    std::vector<Registration> scope;
    const bool external_only =
        external != nullptr && !external->empty() && (!incident || incident->scope.empty());
    if (external_only) {
        // The leak happened in another system: kakitome's own registrations are not in scope.
    } else if (incident && !incident->scope.empty()) {
        for (const auto& application : incident->scope) {
            auto registration = index.registration(application);
            if (!registration.is_ok()) return registration.status();
            scope.push_back(registration.value().value_or(Registration{application, "", 0}));
        }
    } else {
        auto registered = index.registered_in(0, to_ms);
        if (!registered.is_ok()) return registered.status();
        scope = std::move(registered).value();
    }
    std::map<std::string, std::size_t> row_of;
    for (const auto& registration : scope) {
        row_of[registration.application] = review.rows.size();
        review.rows.push_back({registration.application,
                               registration.owner,
                               {},
                               incident && incident->notified.count(registration.application) > 0});
    }
    // One pass over the window's disclosures, not one query per registration.
    auto disclosed = external_only
                         ? Result<std::vector<DisclosureRecord>>(std::vector<DisclosureRecord>{})
                         : index.in_window(from_ms, to_ms);
    if (!disclosed.is_ok()) return disclosed.status();
    for (const auto& record : disclosed.value()) {
        auto found = row_of.find(record.application);
        if (found == row_of.end()) continue;
        ReviewRow& row = review.rows[found->second];
        if (record.principal == row.owner || authorised_role(record.role)) continue;
        row.to_others.push_back(record);
    }
    if (external != nullptr && !external->empty()) {
        review.external = ExternalEvidenceSummary{
            external->files,          external->requests,  external->hits_without_fill,
            external->ambiguous_hits, external->ambiguous, external->unknown_cache_words};
        for (ReviewRow row : external->rows) {
            row.notified = incident && incident->notified.count(row.application) > 0;
            review.rows.push_back(std::move(row));
        }
    }
    for (const auto& row : review.rows) review.affected += row.disclosed_to_others() ? 1 : 0;

    // The Art. 26 triggers qualify a leak that happened: with nobody's data disclosed to others
    // there is nothing for a trigger to apply to.
    const bool mandatory =
        review.affected > 0 &&
        (review.affected > kAppiReportableAffectedPersons || facts.sensitive_data ||
         facts.financial_loss_risk || facts.unauthorised_purpose);
    const std::int64_t learned = incident ? incident->reported_at_ms : to_ms;
    review.learned_ms = learned;
    review.report_mandatory = mandatory;
    review.final_report_days = facts.unauthorised_purpose ? 60 : 30;
    constexpr std::int64_t kDay = 24LL * 3600 * 1000;
    std::size_t notified = 0;
    for (const auto& row : review.rows)
        notified += (row.disclosed_to_others() && row.notified) ? 1 : 0;
    review.assessment.push_back(
        "APPI: " + std::to_string(review.affected) + " of " + std::to_string(review.rows.size()) +
        " registrations in scope were disclosed to someone not entitled to them (threshold for a "
        "mandatory report: more than 1,000 persons).");
    review.assessment.push_back(
        std::string("Sensitive data (要配慮個人情報): ") + (facts.sensitive_data ? "yes" : "no") +
        "; risk of financial loss: " + (facts.financial_loss_risk ? "yes" : "no") +
        "; possible unauthorised purpose: " + (facts.unauthorised_purpose ? "yes" : "no") + ".");
    if (mandatory) {
        review.assessment.push_back(
            "Report to the PPC is MANDATORY: preliminary report due by " +
            jst_day(learned + 5 * kDay) + " (3–5 days after learning of it, " + jst_day(learned) +
            "), final report due by " +
            jst_day(learned + (facts.unauthorised_purpose ? 60 : 30) * kDay) + ".");
    } else if (review.affected == 0) {
        review.assessment.push_back(
            "No registration in scope was disclosed to anyone not entitled to it in this window: "
            "nothing to report "
            "to the PPC or to notify.");
    } else {
        review.assessment.push_back(
            "Report to the PPC is not mandatory under Art. 26 (no trigger met); a voluntary report "
            "and notice to the " +
            std::to_string(review.affected) +
            " affected persons are recommended. Were a trigger met, the preliminary report would "
            "be due by " +
            jst_day(learned + 5 * kDay) + " and the final by " + jst_day(learned + 30 * kDay) +
            ".");
    }
    review.assessment.push_back("Affected persons notified: " + std::to_string(notified) + " of " +
                                std::to_string(review.affected) + ".");
    return review;
}

std::vector<ReportDeadline> report_deadlines(const IncidentReview& review, std::int64_t now_ms,
                                             const workflow::BusinessCalendar& calendar) {
    if (review.affected == 0) return {};
    const workflow::CivilDate learned = workflow::jst_date_of(review.learned_ms);
    const workflow::CivilDate today = workflow::jst_date_of(now_ms);
    auto deadline = [&](const char* kind, int days) {
        const workflow::CivilDate due = learned.plus_days(days);
        return ReportDeadline{kind,
                              due.to_string(),
                              review.report_mandatory,
                              due.days() - today.days(),
                              today <= due ? calendar.business_days_between(today, due)
                                           : -calendar.business_days_between(due, today),
                              due < today};
    };
    return {deadline("preliminary_report", 5), deadline("final_report", review.final_report_days)};
}

std::string deadlines_as_json(const std::vector<ReportDeadline>& deadlines) {
    json out = json::array();
    for (const auto& deadline : deadlines) {
        out.push_back({{"kind", deadline.kind},
                       {"due_date", deadline.due_date},
                       {"mandatory", deadline.mandatory},
                       {"calendar_days_left", deadline.calendar_days_left},
                       {"business_days_left", deadline.business_days_left},
                       {"overdue", deadline.overdue}});
    }
    return out.dump();
}

std::string review_as_text(const IncidentReview& review) {
    std::string out = "review of disclosures from " + format_rfc3339_ms(review.from_ms) + " to " +
                      format_rfc3339_ms(review.to_ms) + "\n";
    out += "application           disclosed_to_others notified viewers\n";
    for (const auto& row : review.rows) {
        std::string viewers;
        for (const auto& record : row.to_others) {
            viewers += (viewers.empty() ? "" : "; ") + record.principal + " at " + record.at +
                       " (request " + record.request_id + ")" +
                       (record.remote.empty() ? "" : ", " + record.remote);
        }
        char line[256];
        std::snprintf(line, sizeof line, "%-21s %-19s %-8s ", row.application.c_str(),
                      row.disclosed_to_others() ? "yes" : "no", row.notified ? "yes" : "no");
        out += line + viewers + "\n";
    }
    if (review.external) {
        out += "evidence from another system: " + std::to_string(review.external->files.size()) +
               " files, " + std::to_string(review.external->requests) +
               " requests for registration pages, " +
               std::to_string(review.external->hits_without_fill) +
               " cache hits the logs cannot attribute, " +
               std::to_string(review.external->ambiguous_hits) +
               " hits with two candidates in one second (listed in --json), " +
               std::to_string(review.external->unknown_cache_words) + " unknown cache words\n";
        for (const auto& file : review.external->files) {
            out += "  " + file.kind + " " + file.name + " sha256:" + file.sha256 + " lines " +
                   std::to_string(file.lines) + ", recorded " + std::to_string(file.recorded) +
                   ", bad " + std::to_string(file.bad_lines) + "\n";
        }
    }
    for (const auto& line : review.assessment) out += line + "\n";
    return out;
}

std::string review_as_csv(const IncidentReview& review) {
    auto quote = [](const std::string& text) {
        std::string out = "\"";
        for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
        return out + "\"";
    };
    std::string out =
        "application,owner,disclosed_to_others,notified,viewer,role,at,request_id,endpoint,"
        "fields\n";
    for (const auto& row : review.rows) {
        const std::string head = quote(row.application) + "," + quote(row.owner) + "," +
                                 (row.disclosed_to_others() ? "yes" : "no") + "," +
                                 (row.notified ? "yes" : "no") + ",";
        if (row.to_others.empty()) {
            out += head + ",,,,,\n";
            continue;
        }
        for (const auto& record : row.to_others) {
            std::string fields;
            for (const auto& field : record.fields) fields += (fields.empty() ? "" : ";") + field;
            out += head + quote(record.principal) + "," + quote(record.role) + "," +
                   quote(record.at) + "," + quote(record.request_id) + "," +
                   quote(record.endpoint) + "," + quote(fields) + "\n";
        }
    }
    for (const auto& line : review.assessment) out += "# " + line + "\n";
    return out;
}

std::string review_as_json(const IncidentReview& review) {
    json rows = json::array();
    for (const auto& row : review.rows) {
        json viewers = json::array();
        for (const auto& record : row.to_others) {
            viewers.push_back({{"principal", record.principal},
                               {"role", record.role},
                               {"at", record.at},
                               {"request_id", record.request_id},
                               {"endpoint", record.endpoint},
                               {"remote", record.remote},
                               {"fields", record.fields}});
        }
        rows.push_back({{"application", row.application},
                        {"owner", row.owner},
                        {"disclosed_to_others", row.disclosed_to_others()},
                        {"notified", row.notified},
                        {"viewers", viewers}});
    }
    json out{{"from", format_rfc3339_ms(review.from_ms)},
             {"to", format_rfc3339_ms(review.to_ms)},
             {"in_scope", review.rows.size()},
             {"affected", review.affected},
             {"rows", rows},
             {"assessment", review.assessment}};
    if (review.external) {
        json files = json::array();
        for (const auto& file : review.external->files) {
            json bad = json::array();
            for (const auto& line : file.first_bad_lines)
                bad.push_back({{"line", line.line}, {"reason", line.reason}});
            files.push_back({{"kind", file.kind},
                             {"format", file.format},
                             {"name", file.name},
                             {"sha256", file.sha256},
                             {"bytes", file.bytes},
                             {"lines", file.lines},
                             {"recorded", file.recorded},
                             {"unrelated", file.unrelated},
                             {"already_recorded", file.already_recorded},
                             {"bad_lines", file.bad_lines},
                             {"first_bad_lines", bad}});
        }
        json ambiguous = json::array();
        for (const auto& hit : review.external->ambiguous)
            ambiguous.push_back({{"at", hit.at},
                                 {"request_id", hit.request_id},
                                 {"client", hit.client},
                                 {"candidates", hit.candidates}});
        out["external"] = {{"files", files},
                           {"requests", review.external->requests},
                           {"hits_without_fill", review.external->hits_without_fill},
                           {"ambiguous_hits", review.external->ambiguous_hits},
                           {"ambiguous", ambiguous},
                           {"unknown_cache_words", review.external->unknown_cache_words}};
    }
    return out.dump();
}

}  // namespace kakitome
