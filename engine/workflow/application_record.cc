#include "engine/workflow/application_record.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "events/timestamp.h"

namespace kakitome::workflow {

namespace {

std::int64_t at_ms(const RecordedEvent& event) {
    return parse_rfc3339_ms(event.at).value_or(0);
}

}  // namespace

void ApplicationRecord::apply(const RecordedEvent& event) {
    version = event.version;
    if (application.empty() && event.stream.rfind("application-", 0) == 0)
        application = event.stream.substr(12);
    const std::string& type = event.type;
    // Only the types that read their payload pay for parsing it (replays fold millions).
    static const std::set<std::string> kReadsPayload = {
        "FormMailReceived", "FormParsed",          "ApplicationRejected",
        "UrlIssued",        "UrlDownloaded",       "UrlRevoked",
        "UrlExpired",       "ApplicationAssigned", "PossibleDuplicateFlagged"};
    const auto payload = kReadsPayload.count(type)
                             ? nlohmann::json::parse(event.payload_json, nullptr, false)
                             : nlohmann::json(nullptr);
    auto text = [&](const char* key) {
        return payload.is_object() ? payload.value(key, std::string()) : std::string();
    };
    if (type == "FormMailReceived") {
        state = "awaiting_password";
        received_at_ms = at_ms(event);
        sender_sealed = text("pii_sealed");
        if (payload.contains("warnings"))
            warnings = payload["warnings"].get<std::vector<std::string>>();
    } else if (type == "PossibleDuplicateFlagged") {
        if (std::find(possible_duplicate_of.begin(), possible_duplicate_of.end(), text("other")) ==
            possible_duplicate_of.end())
            possible_duplicate_of.push_back(text("other"));
    } else if (type == "PasswordMailReceived") {
        password_received = true;
    } else if (type == "PasswordRejected") {
        state = "password_mismatch";
    } else if (type == "MailsPaired") {
        state = "password_received";
        paired_at_ms = at_ms(event);
    } else if (type == "FormParsed") {
        form_sealed = text("pii_sealed");
    } else if (type == "FormDecrypted") {
        state = "decrypted";
    } else if (type == "ApplicationValidated") {
        state = "validated";
        rejection_codes.clear();
    } else if (type == "ApplicationRejected") {
        state = "rejected";
        if (payload.contains("codes"))
            rejection_codes = payload["codes"].get<std::vector<std::string>>();
        if (payload.value("notify", false)) rejection_notified = true;
    } else if (type == "ApplicationApproved") {
        approved = true;
    } else if (type == "UrlIssued") {
        state = "url_issued";
        urls.push_back({text("token_sha256"),
                        parse_rfc3339_ms(text("issued_at")).value_or(at_ms(event)),
                        parse_rfc3339_ms(text("expires_at")).value_or(0), false, false, 0});
    } else if (type == "UrlDownloaded") {
        state = "downloaded";
        if (auto* url = find_url(text("token_sha256"))) ++url->downloads;
    } else if (type == "UrlRevoked") {
        if (auto* url = find_url(text("token_sha256"))) url->revoked = true;
        if (!live_url() && (state == "url_issued" || state == "downloaded")) state = "validated";
    } else if (type == "UrlExpired") {
        if (auto* url = find_url(text("token_sha256"))) url->expired = true;
        if (!live_url() && state == "url_issued") state = "expired";
    } else if (type == "ApplicationWithdrawn") {
        state = "withdrawn";
    } else if (type == "ApplicationAssigned") {
        assignee = text("assignee");
    } else if (type == "CorrectionRequested") {
        correction_requested = true;
        rejection_notified = true;
    } else if (type == "ApplicationErased") {
        erased = true;
    } else if (type == "PasswordReminderDue") {
        reminder_due_fired = true;
    } else if (type == "SlaDue") {
        sla_due_fired = true;
    } else if (type == "SlaOverdue") {
        sla_overdue_fired = true;
    }
}

void ApplicationRecord::apply_pending(const NewEvent& event, std::int64_t at_ms) {
    RecordedEvent pending;
    pending.stream = application_stream(application);
    pending.version = version;
    pending.type = event.type;
    pending.payload_json = event.payload_json;
    pending.at = format_rfc3339_ms(at_ms);
    apply(pending);
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
    if (erased || state == "withdrawn" || state == "expired" || state == "downloaded" ||
        state == "url_issued")
        return true;
    return state == "rejected" && rejection_notified;
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
                             {"state", state},
                             {"received_at_ms", received_at_ms},
                             {"paired_at_ms", paired_at_ms},
                             {"password_received", password_received},
                             {"rejection_codes", rejection_codes},
                             {"assignee", assignee},
                             {"approved", approved},
                             {"rejection_notified", rejection_notified},
                             {"correction_requested", correction_requested},
                             {"erased", erased},
                             {"reminder_due_fired", reminder_due_fired},
                             {"sla_due_fired", sla_due_fired},
                             {"sla_overdue_fired", sla_overdue_fired},
                             {"sender_sealed", sender_sealed},
                             {"form_sealed", form_sealed},
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
        record.state = in.at("state");
        record.received_at_ms = in.at("received_at_ms");
        record.paired_at_ms = in.at("paired_at_ms");
        record.password_received = in.at("password_received");
        record.rejection_codes = in.at("rejection_codes").get<std::vector<std::string>>();
        record.assignee = in.at("assignee");
        record.approved = in.at("approved");
        record.rejection_notified = in.at("rejection_notified");
        record.correction_requested = in.at("correction_requested");
        record.erased = in.at("erased");
        record.reminder_due_fired = in.at("reminder_due_fired");
        record.sla_due_fired = in.at("sla_due_fired");
        record.sla_overdue_fired = in.at("sla_overdue_fired");
        record.sender_sealed = in.at("sender_sealed");
        record.form_sealed = in.at("form_sealed");
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
    auto events = read_whole_stream(store, application_stream(application));
    if (!events.is_ok()) return events.status();
    if (events->empty())
        return Status::not_found("no application " + application)
            .with_reason("unknown_application");
    ApplicationRecord record;
    record.application = application;
    for (const auto& event : events.value()) record.apply(event);
    return record;
}

}  // namespace kakitome::workflow
