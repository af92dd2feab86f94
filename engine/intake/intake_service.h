// IntakeService: turns one received mail into events (docs/design.md §1 and §4).
//
// Streams it writes, all in one atomic transaction per mail:
//   message-<key>      the Message-ID claim: MessageIngested, UnrelatedMailReceived,
//                      MailRejected{reason} (with the automatic answer's MailQueued, see
//                      refusal_answer.h), MessageIdReused. The same bytes twice yield no new
//                      event; the same Message-ID with other bytes is flagged, not processed.
//   sender-<key>       the pairing state of one normalized sender: FormPending, PasswordHeld,
//                      Paired. The key is an HMAC of the address, so no PII is in stream names.
//   application-<id>   FormMailReceived, PasswordMailReceived, MailsPaired, PasswordRejected,
//                      then (after pairing) FormDecrypted, FormParsed, ApplicationValidated or
//                      ApplicationRejected{codes}.
// Pairing tries the password against each pending form's key verifier, newest first, and never
// guesses; a password that opens none is recorded as PasswordRejected on the newest form. A
// password that arrives first is held and tried when the sender's next form arrives.
// CPU budget (MailLimits): a form whose spinCount is too high (spin_count_too_high) or a sender
// with too many forms waiting (too_many_pending_forms) is rejected at the door; a sender's
// password tries (key derivations) are capped per hour (too_many_password_attempts), recorded
// as `password_tries` on the sender's FormPending, PasswordHeld and Paired events.
// Passwords never appear in events: only their message id and an HMAC. Raw mails, attachments
// and decrypted forms are encrypted blobs; PII fields are sealed with the application's key.
// Thread-safe: mails are ingested one at a time.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/form/form_validation.h"
#include "engine/intake/mail_message.h"
#include "engine/office/office_document.h"
#include "engine/workflow/workflow_config.h"
#include "events/blob_store.h"
#include "events/data_key_vault.h"
#include "events/event_store.h"

namespace kakitome::intake {

struct IngestOutcome {
    std::string message_id;
    std::string classification;  // form, password, unrelated, rejected, duplicate
    std::string reason;          // for rejected
    std::string application;     // the application the mail joined, if any
    std::string state;           // that application's state afterwards
    bool paired = false;
    std::vector<std::string> warnings;
    std::string to_json() const;
};

class IntakeService {
  public:
    // From `workflow`: the usage period (forms dated outside it are rejected,
    // date_outside_usage_period) and the secretariat's address, which answers refused mail.
    IntakeService(EventStore& store, BlobStore& blobs, DataKeyVault& vault,
                  const AeadKey& master_key, workflow::WorkflowConfig workflow,
                  MailLimits limits = {});

    // source: "file", "imap", "api" — recorded with the mail.
    Result<IngestOutcome> ingest(std::string_view raw, std::string_view source);
    const MailLimits& limits() const { return limits_; }

  private:
    struct SenderState;
    struct Ingestion;
    // A step of ingest(): an outcome when the mail is done with, nullopt to go on.
    using Step = Result<std::optional<IngestOutcome>>;
    Step answer_repeat(Ingestion& in);
    Step keep_and_classify(Ingestion& in);
    Step find_sender(Ingestion& in);
    Step plan_form(Ingestion& in);
    Step plan_password(Ingestion& in);
    Result<IngestOutcome> commit(Ingestion& in);
    Step reject(Ingestion& in, const std::string& reason, const std::string& detail,
                std::optional<std::string> raw_blob);
    Result<SenderState> load_sender(const std::string& stream) const;
    // An application's stream version and whether it was erased, read in one pass.
    struct StoredApplication {
        StreamVersion version{0};
        bool erased = false;
    };
    Result<StoredApplication> application_as_stored(const std::string& application) const;
    Result<StreamVersion> version_unless_erased(const std::string& application) const;
    Result<std::string> password_of_held_mail(const std::string& raw_blob) const;
    // Decrypts, reads and validates a freshly paired form; appends the outcome.
    Result<std::string> process_paired(const std::string& application, std::string_view attachment,
                                       const std::string& password);
    std::string keyed_hash(std::string_view purpose, std::string_view value) const;
    // The key of a sender's stream (sender-<key>): a keyed hash of the normalised address.
    std::string sender_key_of(std::string_view address) const;
    office::DecryptionLimits decryption_limits() const;
    // Password tries this sender may still spend in the current hour (MailLimits).
    std::size_t tries_left_for(const SenderState& sender) const;

    EventStore& store_;
    BlobStore& blobs_;
    DataKeyVault& vault_;
    AeadKey hmac_key_;
    MailLimits limits_;
    workflow::WorkflowConfig workflow_;
    std::mutex mutex_;
};

}  // namespace kakitome::intake
