#include "engine/workflow/application_record.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/domain/upcasting.h"
#include "events/base/timestamp.h"

namespace kakitome::workflow {

namespace {

std::int64_t at_ms(const RecordedEvent& event) {
    return parse_rfc3339_ms(event.at).value_or(0);
}

}  // namespace

Status ApplicationRecord::apply(const RecordedEvent& event) {
    using namespace domain;
    // Only the types whose payload matters here are decoded (replays fold millions of events).
    // An event has one type, so at most one `when` decodes, and its change is made only once the
    // payload decoded: an event that does not decode changes nothing, without copying the record.
    const Status folded = [&]() -> Status {
        KAKITOME_RETURN_IF_ERROR(when<FormMailReceived>(event, [&](const auto& mail) {
            received_at_ms = at_ms(event);
            sender_sealed = mail.pii_sealed;
            warnings = mail.warnings;
        }));
        KAKITOME_RETURN_IF_ERROR(when<PossibleDuplicateFlagged>(event, [&](const auto& flagged) {
            auto& others = possible_duplicate_of;
            if (std::find(others.begin(), others.end(), flagged.other) == others.end())
                others.push_back(flagged.other);
        }));
        if (is<PasswordMailReceived>(event)) password_received = true;
        if (is<MailsPaired>(event)) paired_at_ms = at_ms(event);
        KAKITOME_RETURN_IF_ERROR(when<FormParsed>(event, [&](const auto& form) {
            form_sealed = form.pii_sealed;
            application_date = form.application_date;
            consent = form.consent;
            usage_channels = form.usage_channels;
            unrecognized_usages = form.unrecognized_usages;
        }));
        if (is<ApplicationValidated>(event)) rejection_codes.clear();
        KAKITOME_RETURN_IF_ERROR(when<ApplicationRejected>(event, [&](const auto& rejected) {
            rejection_codes = rejected.codes;
            if (rejected.notify.value_or(false)) rejection_notified = true;
        }));
        if (is<ApplicationApproved>(event)) approved = true;
        KAKITOME_RETURN_IF_ERROR(when<UrlIssued>(event, [&](const auto& issued) {
            urls.push_back({issued.token_sha256,
                            parse_rfc3339_ms(issued.issued_at).value_or(at_ms(event)),
                            parse_rfc3339_ms(issued.expires_at).value_or(0), false, false, 0});
        }));
        KAKITOME_RETURN_IF_ERROR(when<UrlDownloaded>(event, [&](const auto& downloaded) {
            if (auto* url = find_url(downloaded.token_sha256)) ++url->downloads;
        }));
        KAKITOME_RETURN_IF_ERROR(when<UrlRevoked>(event, [&](const auto& revoked) {
            if (auto* url = find_url(revoked.token_sha256)) url->revoked = true;
        }));
        KAKITOME_RETURN_IF_ERROR(when<UrlExpired>(event, [&](const auto& expired) {
            if (auto* url = find_url(expired.token_sha256)) url->expired = true;
        }));
        KAKITOME_RETURN_IF_ERROR(when<ApplicationAssigned>(
            event, [&](const auto& assigned) { assignee = assigned.assignee; }));
        if (is<CorrectionRequested>(event)) correction_requested = rejection_notified = true;
        if (erases_personal_data(event.type)) erased = true;
        KAKITOME_RETURN_IF_ERROR(when<LegalHoldPlaced>(event, [&](const auto& hold) {
            legal_hold = true;
            legal_hold_reason = hold.reason;
        }));
        if (is<LegalHoldReleased>(event)) {
            legal_hold = false;
            legal_hold_reason.clear();
        }
        KAKITOME_RETURN_IF_ERROR(when<MailQueued>(
            event, [&](const auto& queued) { mails_in_flight.push_back(queued.mail_id); }));
        KAKITOME_RETURN_IF_ERROR(when<MailSent>(
            event, [&](const auto& sent) { std::erase(mails_in_flight, sent.mail_id); }));
        KAKITOME_RETURN_IF_ERROR(when<MailFailed>(event, [&](const auto& failed) {
            if (failed.final) std::erase(mails_in_flight, failed.mail_id);
        }));
        if (is<PasswordReminderDue>(event)) reminder_due_fired = true;
        if (is<SlaDue>(event)) sla_due_fired = true;
        if (is<SlaOverdue>(event)) sla_overdue_fired = true;
        return Status::ok();
    }();
    KAKITOME_RETURN_IF_ERROR(folded);
    version = event.version;
    if (application.empty()) {
        if (auto id = application_of(event.stream)) application = *id;
    }
    const ApplicationState before = state;
    state = state_after(state, event.type, live_url() != nullptr);
    // A report moves the decision version only when it changes the state (a first download, an
    // expiry): a decision made on the old state must not go through on the new one.
    if (moves_decision_version(event.type) || state != before) {
        decision_version = event.version;
        // Who works on it and whether it is held say nothing about the application itself.
        if (!is<ApplicationAssigned>(event) && !is<LegalHoldPlaced>(event) &&
            !is<LegalHoldReleased>(event))
            decided_at_ms = at_ms(event);
    }
    return Status::ok();
}

Status ApplicationRecord::apply_pending(const NewEvent& event, std::int64_t at_ms) {
    RecordedEvent pending;
    pending.stream = domain::application_stream(application);
    pending.version = version;
    pending.type = event.type;
    pending.schema = event.schema;
    pending.payload_json = event.payload_json;
    pending.at = format_rfc3339_ms(at_ms);
    return apply(pending);
}

const IssuedUrl* ApplicationRecord::live_url() const {
    for (auto url = urls.rbegin(); url != urls.rend(); ++url) {
        if (!url->revoked && !url->expired) return &*url;
    }
    return nullptr;
}

IssuedUrl* ApplicationRecord::find_url(const std::string& token_sha256) {
    for (auto& url : urls) {
        if (url.token_sha256 == token_sha256) return &url;
    }
    return nullptr;
}

bool ApplicationRecord::closed() const {
    using domain::ApplicationState;
    if (erased || state == ApplicationState::withdrawn || state == ApplicationState::expired ||
        state == ApplicationState::downloaded || state == ApplicationState::url_issued)
        return true;
    return state == ApplicationState::rejected && rejection_notified;
}

std::string ApplicationRecord::to_json() const {
    nlohmann::json urls_json = nlohmann::json::array();
    for (const auto& url : urls) {
        urls_json.push_back({{"token_sha256", url.token_sha256},
                             {"issued_at_ms", url.issued_at_ms},
                             {"expires_at_ms", url.expires_at_ms},
                             {"revoked", url.revoked},
                             {"expired", url.expired},
                             {"downloads", url.downloads}});
    }
    const nlohmann::json out{{"application", application},
                             {"version", version.value},
                             {"decision_version", decision_version.value},
                             {"state", domain::state_name(state)},
                             {"received_at_ms", received_at_ms},
                             {"paired_at_ms", paired_at_ms},
                             {"password_received", password_received},
                             {"rejection_codes", rejection_codes},
                             {"assignee", assignee},
                             {"approved", approved},
                             {"rejection_notified", rejection_notified},
                             {"correction_requested", correction_requested},
                             {"erased", erased},
                             {"legal_hold", legal_hold},
                             {"legal_hold_reason", legal_hold_reason},
                             {"decided_at_ms", decided_at_ms},
                             {"mails_in_flight", mails_in_flight},
                             {"reminder_due_fired", reminder_due_fired},
                             {"sla_due_fired", sla_due_fired},
                             {"sla_overdue_fired", sla_overdue_fired},
                             {"sender_sealed", sender_sealed},
                             {"form_sealed", form_sealed},
                             {"application_date", application_date},
                             {"consent", consent},
                             {"usage_channels", usage_channels},
                             {"unrecognized_usages", unrecognized_usages},
                             {"urls", urls_json},
                             {"warnings", warnings},
                             {"possible_duplicate_of", possible_duplicate_of}};
    return out.dump();
}

std::optional<ApplicationRecord> ApplicationRecord::from_json(std::string_view text) {
    const auto in = nlohmann::json::parse(text, nullptr, false);
    if (!in.is_object()) return std::nullopt;
    try {
        ApplicationRecord record;
        record.application = in.at("application");
        record.version = StreamVersion{in.at("version").get<std::uint64_t>()};
        record.decision_version = StreamVersion{in.at("decision_version").get<std::uint64_t>()};
        const auto state = domain::state_named(in.at("state").get<std::string>());
        if (!state) return std::nullopt;
        record.state = *state;
        record.received_at_ms = in.at("received_at_ms");
        record.paired_at_ms = in.at("paired_at_ms");
        record.password_received = in.at("password_received");
        record.rejection_codes = in.at("rejection_codes").get<std::vector<std::string>>();
        record.assignee = in.at("assignee");
        record.approved = in.at("approved");
        record.rejection_notified = in.at("rejection_notified");
        record.correction_requested = in.at("correction_requested");
        record.erased = in.at("erased");
        // Rows stored before holds and retention existed have none.
        record.legal_hold = in.value("legal_hold", false);
        record.legal_hold_reason = in.value("legal_hold_reason", std::string());
        record.decided_at_ms = in.value("decided_at_ms", std::int64_t{0});
        record.mails_in_flight = in.value("mails_in_flight", std::vector<std::string>{});
        record.reminder_due_fired = in.at("reminder_due_fired");
        record.sla_due_fired = in.at("sla_due_fired");
        record.sla_overdue_fired = in.at("sla_overdue_fired");
        record.sender_sealed = in.at("sender_sealed");
        record.form_sealed = in.at("form_sealed");
        record.application_date = in.at("application_date");
        record.consent = in.at("consent");
        record.usage_channels = in.at("usage_channels").get<std::vector<std::string>>();
        record.unrecognized_usages = in.at("unrecognized_usages").get<std::vector<std::string>>();
        record.warnings = in.at("warnings").get<std::vector<std::string>>();
        // Rows stored before the field existed have none.
        record.possible_duplicate_of =
            in.value("possible_duplicate_of", std::vector<std::string>{});
        for (const auto& url : in.at("urls")) {
            record.urls.push_back({url.at("token_sha256"), url.at("issued_at_ms"),
                                   url.at("expires_at_ms"), url.at("revoked"), url.at("expired"),
                                   url.at("downloads")});
        }
        return record;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

Result<ApplicationRecord> load_application(const EventStore& store,
                                           const std::string& application) {
    auto events = domain::read_current_stream(store, domain::application_stream(application));
    if (!events.is_ok()) return events.status();
    if (events->empty())
        return Status::not_found("no application " + application)
            .with_reason("unknown_application");
    ApplicationRecord record;
    record.application = application;
    for (const auto& event : events.value()) KAKITOME_RETURN_IF_ERROR(record.apply(event));
    return record;
}

}  // namespace kakitome::workflow
