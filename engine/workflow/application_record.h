// ApplicationRecord: one application's stream folded into what commands decide on (design
// section 4: "commands never read projections; they load the stream"). Pure and deterministic:
// the same events give the same record. The states and what moves them are the table in
// engine/domain/application_state.h.
//
// Revoking a URL returns the application to `validated` (approved, no live link); a URL that
// expires before any download makes it `expired`. Erasure is a flag, not a state: the history
// keeps its shape, the PII becomes unreadable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/domain/application_state.h"
#include "events/event.h"
#include "events/event_store.h"

namespace kakitome::workflow {

struct IssuedUrl {
    std::string token_sha256;  // hex; the token itself is never stored
    std::int64_t issued_at_ms = 0;
    std::int64_t expires_at_ms = 0;
    bool revoked = false;
    bool expired = false;
    int downloads = 0;
};

struct ApplicationRecord {
    std::string application;
    StreamVersion version{0};
    // The version of the last event that was a decision or intake, not a report
    // (domain::moves_decision_version): the ETag, and what a command's If-Match is checked
    // against.
    StreamVersion decision_version{0};
    domain::ApplicationState state = domain::ApplicationState::none;
    std::int64_t received_at_ms = 0;  // the form mail
    std::int64_t paired_at_ms = 0;    // both mails in; 0 until then
    bool password_received = false;
    std::vector<std::string> rejection_codes;
    std::string assignee;
    bool approved = false;
    bool rejection_notified = false;  // a staff rejection or correction request was mailed
    bool correction_requested = false;
    bool erased = false;      // ApplicationErased or RetentionErased
    bool legal_hold = false;  // LegalHoldPlaced and not yet released
    std::string legal_hold_reason;
    // The time of the last decision on the application itself, or of a report that changed its
    // state (not an assignment or a legal hold): a closed application's retention counts from
    // here, so a correction request on an application intake rejected long ago starts the count
    // again, while releasing a hold does not.
    std::int64_t decided_at_ms = 0;
    // Mails queued to the applicant and neither sent nor given up on (MailFailed final): the
    // data key must outlive them, or the outbox could not open what it sends.
    std::vector<std::string> mails_in_flight;
    bool reminder_due_fired = false;
    bool sla_due_fired = false;
    bool sla_overdue_fired = false;
    std::string sender_sealed;     // FormMailReceived's sealed PII: sender, sender_name, filename
    std::string form_sealed;       // FormParsed's sealed PII: organization, contact_email, ...
    std::string application_date;  // the form's 申請日 as read (ISO date), "" until parsed
    std::string consent;           // the form's 同意 answer as read
    std::vector<std::string> usage_channels;       // codes (domain/usage_channel.h)
    std::vector<std::string> unrecognized_usages;  // what the form said that is no channel
    std::vector<IssuedUrl>
        urls;  // oldest first; the last one that is neither revoked nor expired is live

    std::vector<std::string> warnings;  // intake's warnings about the form mail
    // Other applications of the same organisation and contact address that were validated but
    // not yet issued when one of the two validated (PossibleDuplicateFlagged): staff decide.
    std::vector<std::string> possible_duplicate_of;

    // Folds one event at its current schema (read through domain::for_each_current_event); an
    // event whose payload does not decode is an error and leaves the record unchanged.
    Status apply(const RecordedEvent& event);
    // Folds an event not yet appended (no seq, the version unchanged), to know the state an
    // append will leave without reading it back.
    Status apply_pending(const NewEvent& event, std::int64_t at_ms);
    // A stable JSON form (sorted keys) so projections can store a record and resume folding.
    std::string to_json() const;
    static std::optional<ApplicationRecord> from_json(std::string_view text);
    const IssuedUrl* live_url() const;
    IssuedUrl* find_url(const std::string& token_sha256);
    // Terminal for the secretariat: nothing more to do.
    bool closed() const;
};

// The record of an application's stream, read through the upcasters; not_found
// (unknown_application) when the stream is empty.
Result<ApplicationRecord> load_application(const EventStore& store, const std::string& application);

}  // namespace kakitome::workflow
