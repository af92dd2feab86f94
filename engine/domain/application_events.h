// The events of an application's stream (application-<id>, see streams.h): intake's record of
// the two mails and the form, the secretariat's decisions, the download link's life, the
// workflow's timers and the applicant's mail. One struct per event type; its fields are the
// payload. docs/workflow.md tells the story they make.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "engine/domain/payload_codec.h"

namespace kakitome::domain {

// The form mail arrived; the sender's address, display name and the file name are sealed.
struct FormMailReceived {
    static constexpr std::string_view kType = "FormMailReceived";
    static constexpr int kSchema = 1;
    std::string message_id;
    std::string sender_key;  // keyed hash of the normalised sender address
    std::string attachment_blob;
    std::uint64_t attachment_bytes = 0;
    std::string raw_blob;
    std::string date;
    std::string source;
    std::vector<std::string> warnings;
    std::vector<std::string> pii_fields;
    std::string pii_sealed;
    static constexpr auto fields() {
        using E = FormMailReceived;
        return std::tuple{field("message_id", &E::message_id),
                          field("sender_key", &E::sender_key),
                          field("attachment_blob", &E::attachment_blob),
                          field("attachment_bytes", &E::attachment_bytes),
                          field("raw_blob", &E::raw_blob),
                          field("date", &E::date),
                          field("source", &E::source),
                          field("warnings", &E::warnings),
                          field("pii_fields", &E::pii_fields),
                          field("pii_sealed", &E::pii_sealed)};
    }
};

// A password mail of this application's sender; `held` when it came before the form.
struct PasswordMailReceived {
    static constexpr std::string_view kType = "PasswordMailReceived";
    static constexpr int kSchema = 1;
    std::string message_id;
    std::string password_hmac;
    std::string raw_blob;
    std::optional<std::string> date;
    std::optional<std::string> source;
    std::optional<std::vector<std::string>> warnings;
    std::optional<bool> held;
    static constexpr auto fields() {
        using E = PasswordMailReceived;
        return std::tuple{field("message_id", &E::message_id),
                          field("password_hmac", &E::password_hmac),
                          field("raw_blob", &E::raw_blob),
                          field("date", &E::date),
                          field("source", &E::source),
                          field("warnings", &E::warnings),
                          field("held", &E::held)};
    }
};

// A password mail opened none of the sender's waiting forms.
struct PasswordRejected {
    static constexpr std::string_view kType = "PasswordRejected";
    static constexpr int kSchema = 1;
    std::string message_id;
    std::string reason;
    std::uint64_t forms_tried = 0;
    static constexpr auto fields() {
        using E = PasswordRejected;
        return std::tuple{field("message_id", &E::message_id), field("reason", &E::reason),
                          field("forms_tried", &E::forms_tried)};
    }
};

// The password opened the form: the two mails belong together.
struct MailsPaired {
    static constexpr std::string_view kType = "MailsPaired";
    static constexpr int kSchema = 1;
    std::string form_message_id;
    std::string password_message_id;
    std::string order;        // form_first | password_first
    std::string verified_by;  // key_verifier
    std::optional<std::uint64_t> pending_forms;
    std::optional<std::uint64_t> also_opens;
    static constexpr auto fields() {
        using E = MailsPaired;
        return std::tuple{field("form_message_id", &E::form_message_id),
                          field("password_message_id", &E::password_message_id),
                          field("order", &E::order),
                          field("verified_by", &E::verified_by),
                          field("pending_forms", &E::pending_forms),
                          field("also_opens", &E::also_opens)};
    }
};

struct FormDecrypted {
    static constexpr std::string_view kType = "FormDecrypted";
    static constexpr int kSchema = 1;
    std::string method;
    bool integrity_checked = false;
    std::string plaintext_sha256;
    std::uint64_t plaintext_bytes = 0;
    static constexpr auto fields() {
        using E = FormDecrypted;
        return std::tuple{field("method", &E::method),
                          field("integrity_checked", &E::integrity_checked),
                          field("plaintext_sha256", &E::plaintext_sha256),
                          field("plaintext_bytes", &E::plaintext_bytes)};
    }
};

// The form's fields. Schema 2 records the usage channels as codes (usage_channel.h); schema 1
// kept the labels the applicant chose, and the upcaster (upcasting.cc) maps them.
struct FormParsed {
    static constexpr std::string_view kType = "FormParsed";
    static constexpr int kSchema = 2;
    std::string application_date;
    std::vector<std::string> usage_channels;       // codes, e.g. official_website
    std::vector<std::string> unrecognized_usages;  // what the applicant wrote that is none
    std::string consent;
    std::string sheet;
    std::vector<std::string> pii_fields;
    std::string pii_sealed;
    static constexpr auto fields() {
        using E = FormParsed;
        return std::tuple{field("application_date", &E::application_date),
                          field("usage_channels", &E::usage_channels),
                          field("unrecognized_usages", &E::unrecognized_usages),
                          field("consent", &E::consent),
                          field("sheet", &E::sheet),
                          field("pii_fields", &E::pii_fields),
                          field("pii_sealed", &E::pii_sealed)};
    }
};

struct ApplicationValidated {
    static constexpr std::string_view kType = "ApplicationValidated";
    static constexpr int kSchema = 1;
    static constexpr auto fields() { return std::tuple{}; }
};

// By intake (codes, detail) or by staff (codes, message, by: staff, notify: true).
struct ApplicationRejected {
    static constexpr std::string_view kType = "ApplicationRejected";
    static constexpr int kSchema = 1;
    std::vector<std::string> codes;
    std::optional<std::string> detail;
    std::optional<std::string> message;
    std::optional<std::string> by;
    std::optional<bool> notify;
    static constexpr auto fields() {
        using E = ApplicationRejected;
        return std::tuple{field("codes", &E::codes), field("detail", &E::detail),
                          field("message", &E::message), field("by", &E::by),
                          field("notify", &E::notify)};
    }
};

// Another validated, not yet issued application of the same organisation and address.
struct PossibleDuplicateFlagged {
    static constexpr std::string_view kType = "PossibleDuplicateFlagged";
    static constexpr int kSchema = 1;
    std::string other;
    static constexpr auto fields() {
        return std::tuple{field("other", &PossibleDuplicateFlagged::other)};
    }
};

struct ApplicationAssigned {
    static constexpr std::string_view kType = "ApplicationAssigned";
    static constexpr int kSchema = 1;
    std::string assignee;
    static constexpr auto fields() {
        return std::tuple{field("assignee", &ApplicationAssigned::assignee)};
    }
};

struct ApplicationApproved {
    static constexpr std::string_view kType = "ApplicationApproved";
    static constexpr int kSchema = 1;
    bool override_rejection = false;  // approved although intake rejected it
    std::vector<std::string> overridden_codes;
    bool after_usage_period = false;
    std::string justification;
    static constexpr auto fields() {
        using E = ApplicationApproved;
        return std::tuple{field("override", &E::override_rejection),
                          field("overridden_codes", &E::overridden_codes),
                          field("after_usage_period", &E::after_usage_period),
                          field("justification", &E::justification)};
    }
};

struct CorrectionRequested {
    static constexpr std::string_view kType = "CorrectionRequested";
    static constexpr int kSchema = 1;
    std::vector<std::string> codes;
    std::string message;
    static constexpr auto fields() {
        using E = CorrectionRequested;
        return std::tuple{field("codes", &E::codes), field("message", &E::message)};
    }
};

struct ApplicationWithdrawn {
    static constexpr std::string_view kType = "ApplicationWithdrawn";
    static constexpr int kSchema = 1;
    std::string reason;
    static constexpr auto fields() {
        return std::tuple{field("reason", &ApplicationWithdrawn::reason)};
    }
};

// The application's data key was destroyed: its sealed PII is unreadable from now on.
struct ApplicationErased {
    static constexpr std::string_view kType = "ApplicationErased";
    static constexpr int kSchema = 1;
    std::string reason;
    bool key_destroyed = true;
    static constexpr auto fields() {
        using E = ApplicationErased;
        return std::tuple{field("reason", &E::reason), field("key_destroyed", &E::key_destroyed)};
    }
};

// The retention policy (engine/retention/) erased the application once it was due: as
// ApplicationErased, its data key is destroyed and its raw mails and attachments deleted.
// `policy` names the policy in force ("after_close_business_days=N;after_usage_period_days=M"),
// `rule` the limit that was reached ("after_close" or "after_usage_period"), `due` when (RFC 3339).
struct RetentionErased {
    static constexpr std::string_view kType = "RetentionErased";
    static constexpr int kSchema = 1;
    std::string policy;
    std::string rule;
    std::string due;
    static constexpr auto fields() {
        using E = RetentionErased;
        return std::tuple{field("policy", &E::policy), field("rule", &E::rule),
                          field("due", &E::due)};
    }
};

// A supervisor put the application on legal hold: nothing erases it (retention or a command)
// until a supervisor releases it.
struct LegalHoldPlaced {
    static constexpr std::string_view kType = "LegalHoldPlaced";
    static constexpr int kSchema = 1;
    std::string reason;
    static constexpr auto fields() { return std::tuple{field("reason", &LegalHoldPlaced::reason)}; }
};

struct LegalHoldReleased {
    static constexpr std::string_view kType = "LegalHoldReleased";
    static constexpr int kSchema = 1;
    std::string reason;
    static constexpr auto fields() {
        return std::tuple{field("reason", &LegalHoldReleased::reason)};
    }
};

struct UrlIssued {
    static constexpr std::string_view kType = "UrlIssued";
    static constexpr int kSchema = 1;
    std::string token_sha256;  // the token itself is never stored
    std::string issued_at;
    std::string expires_at;
    std::uint64_t generation = 1;
    static constexpr auto fields() {
        using E = UrlIssued;
        return std::tuple{field("token_sha256", &E::token_sha256),
                          field("issued_at", &E::issued_at), field("expires_at", &E::expires_at),
                          field("generation", &E::generation)};
    }
};

// reason: reissued | withdrawn | erased | what staff wrote.
struct UrlRevoked {
    static constexpr std::string_view kType = "UrlRevoked";
    static constexpr int kSchema = 1;
    std::string token_sha256;
    std::string reason;
    static constexpr auto fields() {
        return std::tuple{field("token_sha256", &UrlRevoked::token_sha256),
                          field("reason", &UrlRevoked::reason)};
    }
};

// A timer: the live link's last day passed.
struct UrlExpired {
    static constexpr std::string_view kType = "UrlExpired";
    static constexpr int kSchema = 1;
    std::string due_at;
    std::string token_sha256;
    static constexpr auto fields() {
        return std::tuple{field("due_at", &UrlExpired::due_at),
                          field("token_sha256", &UrlExpired::token_sha256)};
    }
};

struct UrlDownloaded {
    static constexpr std::string_view kType = "UrlDownloaded";
    static constexpr int kSchema = 1;
    std::string token_sha256;
    std::string request_id;
    std::string remote;
    std::string user_agent;
    std::int64_t presigned_seconds = 0;
    static constexpr auto fields() {
        using E = UrlDownloaded;
        return std::tuple{field("token_sha256", &E::token_sha256),
                          field("request_id", &E::request_id), field("remote", &E::remote),
                          field("user_agent", &E::user_agent),
                          field("presigned_seconds", &E::presigned_seconds)};
    }
};

// reason: revoked | expired | withdrawn_or_erased.
struct UrlDownloadRefused {
    static constexpr std::string_view kType = "UrlDownloadRefused";
    static constexpr int kSchema = 1;
    std::string token_sha256;
    std::string request_id;
    std::string remote;
    std::string user_agent;
    std::string reason;
    static constexpr auto fields() {
        using E = UrlDownloadRefused;
        return std::tuple{field("token_sha256", &E::token_sha256),
                          field("request_id", &E::request_id), field("remote", &E::remote),
                          field("user_agent", &E::user_agent), field("reason", &E::reason)};
    }
};

// Timers (timer_scheduler.h): the applicant is reminded of the password; the SLA falls due.
struct PasswordReminderDue {
    static constexpr std::string_view kType = "PasswordReminderDue";
    static constexpr int kSchema = 1;
    std::string due_at;
    static constexpr auto fields() {
        return std::tuple{field("due_at", &PasswordReminderDue::due_at)};
    }
};

struct SlaDue {
    static constexpr std::string_view kType = "SlaDue";
    static constexpr int kSchema = 1;
    std::string due_at;
    std::int64_t business_days = 0;
    static constexpr auto fields() {
        return std::tuple{field("due_at", &SlaDue::due_at),
                          field("business_days", &SlaDue::business_days)};
    }
};

struct SlaOverdue {
    static constexpr std::string_view kType = "SlaOverdue";
    static constexpr int kSchema = 1;
    std::string due_at;
    std::int64_t business_days = 0;
    static constexpr auto fields() {
        return std::tuple{field("due_at", &SlaOverdue::due_at),
                          field("business_days", &SlaOverdue::business_days)};
    }
};

// Mail to the applicant, in the outbox (mail_outbox.h): the rendered message is sealed.
struct MailQueued {
    static constexpr std::string_view kType = "MailQueued";
    static constexpr int kSchema = 1;
    std::string mail_id;
    std::string template_name;
    std::string message_id;
    std::vector<std::string> pii_fields;
    std::string pii_sealed;
    static constexpr auto fields() {
        using E = MailQueued;
        return std::tuple{field("mail_id", &E::mail_id), field("template", &E::template_name),
                          field("message_id", &E::message_id), field("pii_fields", &E::pii_fields),
                          field("pii_sealed", &E::pii_sealed)};
    }
};

struct MailSent {
    static constexpr std::string_view kType = "MailSent";
    static constexpr int kSchema = 1;
    std::string mail_id;
    std::int64_t attempt = 0;
    std::string message_id;
    static constexpr auto fields() {
        using E = MailSent;
        return std::tuple{field("mail_id", &E::mail_id), field("attempt", &E::attempt),
                          field("message_id", &E::message_id)};
    }
};

// `final`: no more attempts; otherwise the next one is due at next_attempt_at.
struct MailFailed {
    static constexpr std::string_view kType = "MailFailed";
    static constexpr int kSchema = 1;
    std::string mail_id;
    std::int64_t attempt = 0;
    std::string error;
    std::string reason;
    bool final = false;
    std::optional<std::string> next_attempt_at;
    static constexpr auto fields() {
        using E = MailFailed;
        return std::tuple{
            field("mail_id", &E::mail_id), field("attempt", &E::attempt),
            field("error", &E::error),     field("reason", &E::reason),
            field("final", &E::final),     field("next_attempt_at", &E::next_attempt_at)};
    }
};

}  // namespace kakitome::domain
