// Incident inquiry (docs/design.md §5, the 469-registration review): an incident's own stream of
// events, and the review table a responder hands to management and, if required, to the PPC.
//
// The incident's events are engine/domain/incident_events.h; load_incident() folds them.
//
// The review lists every registration in scope (the incident's scope, or every registration
// made before the window ends) with: whether its PII was disclosed inside the window to anyone
// other than its owner or an authorised staff role (operator, supervisor, auditor), to whom,
// when, through which request and which fields; whether its owner was notified; and an
// assessment under the APPI (個人情報保護法 Art. 26 and its rules): a report to the PPC is
// mandatory when more than 1,000 persons are affected, sensitive data (要配慮個人情報) is
// involved, there is a risk of financial loss, or the leak may be for an unauthorised purpose;
// the preliminary report is due within 3–5 days of learning of it, the final within 30 days
// (60 for an unauthorised purpose).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/domain/external_evidence_events.h"
#include "engine/incident/incident_record.h"
#include "engine/workflow/business_calendar.h"
#include "events/event_store.h"
#include "projections/disclosure_index.h"

namespace kakitome {

struct AppiFacts {
    bool sensitive_data = false;        // the PR-video form holds none
    bool financial_loss_risk = false;   // no payment data
    bool unauthorised_purpose = false;  // set when the leak may be deliberate
};

struct ReviewRow {
    std::string application;
    std::string owner;
    std::vector<DisclosureRecord> to_others;  // inside the window, to someone not entitled
    bool notified = false;
    bool disclosed_to_others() const { return !to_others.empty(); }
};

// A cache hit the logs cannot attribute to one fill (projections/external_evidence.h).
struct AmbiguousHit {
    std::string at;
    std::string request_id;
    std::string client;
    std::vector<std::string> candidates;
};

// What evidence from another system the review stands on (projections/external_evidence.h).
struct ExternalEvidenceSummary {
    std::vector<domain::ExternalFileImported> files;
    std::uint64_t requests = 0;           // requests for registration pages imported
    std::uint64_t hits_without_fill = 0;  // cache hits the logs cannot attribute
    std::uint64_t ambiguous_hits = 0;
    std::vector<AmbiguousHit> ambiguous;
    std::uint64_t unknown_cache_words = 0;
};

struct IncidentReview {
    std::int64_t from_ms = 0, to_ms = 0;
    std::optional<ExternalEvidenceSummary> external;
    std::vector<ReviewRow> rows;          // every registration in scope
    std::size_t affected = 0;             // rows disclosed to others
    std::vector<std::string> assessment;  // the APPI lines
    // The PPC's clock: when the secretariat learned of the leak (the incident's report, else the
    // window's end), whether a report is mandatory, and the final report's days (30, or 60 for
    // an unauthorised purpose). The deadlines only matter when affected > 0.
    std::int64_t learned_ms = 0;
    bool report_mandatory = false;
    int final_report_days = 30;
};

// A deadline of the report to the PPC as of `now`: the due date (JST), and the calendar and
// business days left (negative once past), so a responder sees how much working time remains.
struct ReportDeadline {
    std::string kind;  // preliminary_report (3–5 days: the 5th is the last), final_report
    std::string due_date;
    bool mandatory = false;
    std::int64_t calendar_days_left = 0;
    // Negative: business days since the due date. 0 once past when no working day has passed
    // yet (due on a Saturday, today Sunday): `overdue` says which, never the sign alone.
    int business_days_left = 0;
    bool overdue = false;
};
std::vector<ReportDeadline> report_deadlines(const IncidentReview& review, std::int64_t now_ms,
                                             const workflow::BusinessCalendar& calendar);
std::string deadlines_as_json(const std::vector<ReportDeadline>& deadlines);

bool authorised_role(const std::string& role);

struct ExternalEvidenceReview;

// With `external`, its rows (another system's registrations) join the review; an incident with
// external evidence and no scope of its own reviews only those, not every kakitome registration.
Result<IncidentReview> review_incident(const DisclosureIndex& index, std::int64_t from_ms,
                                       std::int64_t to_ms,
                                       const std::optional<IncidentRecord>& incident,
                                       const AppiFacts& facts = {},
                                       const ExternalEvidenceReview* external = nullptr);

std::string review_as_text(const IncidentReview& review);
std::string review_as_csv(const IncidentReview& review);
std::string review_as_json(const IncidentReview& review);

}  // namespace kakitome
