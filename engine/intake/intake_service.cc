#include "engine/intake/intake_service.h"

#include "events/base/timestamp.h"

#include <nlohmann/json.hpp>

#include "engine/domain/application_events.h"
#include "engine/domain/application_state.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/intake_events.h"
#include "engine/domain/streams.h"
#include "engine/domain/upcasting.h"
#include "engine/domain/usage_channel.h"
#include "engine/form/application_form.h"
#include "engine/form/form_validation.h"
#include "engine/intake/mail_classification.h"
#include "engine/intake/refusal_answer.h"
#include "engine/office/office_crypto.h"
#include "engine/office/office_document.h"
#include "engine/workflow/application_record.h"
#include "events/base/hmac.h"
#include "events/base/sha256.h"

namespace kakitome::intake {

using nlohmann::json;

namespace {

std::string dump(const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

template <domain::EventPayload Payload>
NewEvent event(const Payload& payload, std::string correlation = {}) {
    return domain::new_event(payload, {.actor = "system", .correlation = std::move(correlation)});
}

// The state an application's stream is in now, by name (for the ingest outcome).
Result<std::string> state_of(const EventStore& store, const std::string& application) {
    auto record = workflow::load_application(store, application);
    if (!record.is_ok()) return record.status();
    return std::string(domain::state_name(record->state));
}

}  // namespace

struct IntakeService::SenderState {
    struct PendingForm {
        std::string application, message_id, attachment_blob;
    };
    struct HeldPassword {
        std::string message_id, raw_blob;
    };
    StreamVersion version;
    std::vector<PendingForm> pending_forms;    // oldest first
    std::vector<HeldPassword> held_passwords;  // oldest first
    // (time, password tries) of each sender event that spent key derivations.
    std::vector<std::pair<std::int64_t, std::size_t>> tries;
    std::size_t tries_since(std::int64_t since_ms) const {
        std::size_t total = 0;
        for (const auto& [at_ms, count] : tries)
            if (at_ms >= since_ms) total += count;
        return total;
    }
};

std::string IngestOutcome::to_json() const {
    json out{{"message_id", message_id}, {"classification", classification}};
    if (!reason.empty()) out["reason"] = reason;
    out["application"] = application.empty() ? json(nullptr) : json(application);
    if (!state.empty()) out["state"] = state;
    out["paired"] = paired;
    out["warnings"] = warnings;
    return dump(out);
}

IntakeService::IntakeService(EventStore& store, BlobStore& blobs, DataKeyVault& vault,
                             const AeadKey& master_key, workflow::WorkflowConfig workflow,
                             MailLimits limits)
    : store_(store),
      blobs_(blobs),
      vault_(vault),
      hmac_key_(derive_key(master_key, "kakitome intake hmac v1")),
      limits_(limits),
      workflow_(std::move(workflow)) {}

office::DecryptionLimits IntakeService::decryption_limits() const {
    office::DecryptionLimits limits;
    limits.max_spin_count = limits_.max_spin_count;
    return limits;
}

std::size_t IntakeService::tries_left_for(const SenderState& sender) const {
    const std::size_t spent = sender.tries_since(store_.now_ms() - 3'600'000);
    const std::size_t budget = limits_.max_password_tries_per_sender_per_hour;
    return spent >= budget ? 0 : budget - spent;
}

std::string IntakeService::keyed_hash(std::string_view purpose, std::string_view value) const {
    const std::string key(reinterpret_cast<const char*>(hmac_key_.data()), hmac_key_.size());
    const std::string digest = hmac_sha256(key, std::string(purpose) + ":" + std::string(value));
    return to_hex(reinterpret_cast<const std::uint8_t*>(digest.data()), digest.size());
}

std::string IntakeService::sender_key_of(std::string_view address) const {
    return keyed_hash("sender", normalize_sender(address)).substr(0, domain::kSenderKeyHexDigits);
}

Result<IntakeService::SenderState> IntakeService::load_sender(const std::string& stream) const {
    using namespace domain;
    auto events = read_current_stream(store_, stream);
    if (!events.is_ok()) return events.status();
    SenderState state;
    for (const auto& e : events.value()) {
        state.version = e.version;
        const std::int64_t at_ms = parse_rfc3339_ms(e.at).value_or(0);
        auto spent = [&](std::optional<std::uint64_t> tries) {
            if (tries.value_or(0) > 0) state.tries.emplace_back(at_ms, *tries);
        };
        KAKITOME_RETURN_IF_ERROR(when<FormPending>(e, [&](const FormPending& pending) {
            spent(pending.password_tries);
            state.pending_forms.push_back(
                {pending.application, pending.message_id, pending.attachment_blob});
        }));
        KAKITOME_RETURN_IF_ERROR(when<PasswordHeld>(e, [&](const PasswordHeld& held) {
            spent(held.password_tries);
            state.held_passwords.push_back({held.message_id, held.raw_blob});
        }));
        KAKITOME_RETURN_IF_ERROR(when<Paired>(e, [&](const Paired& paired) {
            spent(paired.password_tries);
            std::erase_if(state.pending_forms,
                          [&](const auto& form) { return form.application == paired.application; });
            std::erase_if(state.held_passwords, [&](const auto& held) {
                return held.message_id == paired.password_message_id;
            });
        }));
    }
    // A form whose application was erased since (by a supervisor or the retention policy) waits
    // for nothing: its attachment is gone, and a password must neither open it nor count it.
    std::vector<SenderState::PendingForm> waiting;
    for (auto& form : state.pending_forms) {
        auto application = application_as_stored(form.application);
        if (!application.is_ok()) return application.status();
        if (!application->erased) waiting.push_back(std::move(form));
    }
    state.pending_forms = std::move(waiting);
    return state;
}

// The version to append at, read with the check: an erasure (a sweep on another thread) that
// lands after it makes the append conflict, so nothing is ever added to an erased application.
// One that landed before it refuses the mail for now (it is read again: IMAP keeps it unseen,
// an API client is told to retry), and the next reading holds the password instead.
Result<StreamVersion> IntakeService::version_unless_erased(const std::string& application) const {
    auto stored = application_as_stored(application);
    if (!stored.is_ok()) return stored.status();
    if (stored->erased)
        return Status::conflict("application " + application +
                                " was erased while this mail was read; read it again")
            .with_reason("application_erased");
    return stored->version;
}

Result<IntakeService::StoredApplication> IntakeService::application_as_stored(
    const std::string& application) const {
    StoredApplication stored;
    KAKITOME_RETURN_IF_ERROR(for_each_stream_event(
        store_, domain::application_stream(application), [&](const RecordedEvent& event) {
            stored.erased |= domain::erases_personal_data(event.type);
            stored.version = event.version;
            return Status::ok();
        }));
    return stored;
}

Result<std::string> IntakeService::password_of_held_mail(const std::string& raw_blob) const {
    auto raw = blobs_.get(raw_blob);
    if (!raw.is_ok()) return raw.status();
    auto mail = parse_mail(raw.value(), limits_);
    if (!mail.is_ok()) return mail.status();
    const MailClassification classified = classify_mail(mail.value());
    if (classified.kind != MailKind::password)
        return Status::internal("a held password mail no longer classifies as one");
    return classified.password;
}

Result<std::string> IntakeService::process_paired(const std::string& application,
                                                  std::string_view attachment,
                                                  const std::string& password) {
    const std::string stream = domain::application_stream(application);
    auto version = store_.stream_version(stream);
    if (!version.is_ok()) return version.status();
    std::vector<NewEvent> events;
    std::optional<StreamAppend> duplicate_part;
    std::vector<StreamAppend> flagged_others;
    auto document = office::decrypt_document(attachment, password, decryption_limits());
    if (!document.is_ok()) {
        events.push_back(event(domain::ApplicationRejected{.codes = {document.status().reason()},
                                                           .detail = document.status().message()},
                               application));
    } else {
        events.push_back(event(
            domain::FormDecrypted{std::string(office::encryption_method_name(document->method)),
                                  document->integrity_checked, to_hex(sha256(document->package)),
                                  document->package.size()},
            application));
        auto form = form::read_application_form(document->package);
        if (!form.is_ok()) {
            events.push_back(event(domain::ApplicationRejected{.codes = {form.status().reason()},
                                                               .detail = form.status().message()},
                                   application));
        } else {
            const json personal{{"organization", form->organization},
                                {"contact_email", form->contact_email},
                                {"usage_other", form->usage_other},
                                {"remarks", form->remarks}};
            auto sealed = vault_.seal(application, dump(personal));
            if (!sealed.is_ok()) return sealed.status();
            domain::FormParsed parsed{
                .application_date = form->application_date,
                .consent = form->consent,
                .sheet = form->sheet,
                .pii_fields = {"organization", "contact_email", "usage_other", "remarks"},
                .pii_sealed = sealed.value()};
            for (const auto& usage : form->usages) {
                if (auto code = domain::usage_channel_code(usage))
                    parsed.usage_channels.emplace_back(*code);
                else
                    parsed.unrecognized_usages.push_back(usage);
            }
            events.push_back(event(parsed, application));
            // Same organisation and contact address as an application whose link was already
            // issued: duplicate_application. The key is kept only as an HMAC (it is PII).
            const std::string duplicate_stream =
                domain::duplicate_stream(keyed_hash("duplicate", form::duplicate_key(form.value()))
                                             .substr(0, domain::kDuplicateKeyHexDigits));
            form::ValidationRules rules;
            rules.usage_period = workflow_.usage_period;
            // Earlier applications with the same key: one already issued makes this a
            // duplicate_application; one validated but not yet issued is a possible duplicate,
            // flagged on both so that staff do not approve twice without seeing it.
            std::vector<std::string> validated_not_issued;
            rules.already_issued = [&](const std::string&) {
                auto earlier = domain::read_current_stream(store_, duplicate_stream);
                if (!earlier.is_ok()) return false;
                bool issued = false;
                for (const auto& recorded : earlier.value()) {
                    auto key = domain::decode<domain::DuplicateKeyRecorded>(recorded);
                    if (!key.is_ok()) continue;
                    const std::string& other = key->application;
                    if (other == application) continue;
                    auto record = workflow::load_application(store_, other);
                    if (!record.is_ok() || record->erased) continue;
                    if (!record->urls.empty())
                        issued = true;
                    else if (record->state == domain::ApplicationState::validated)
                        validated_not_issued.push_back(other);
                }
                return issued;
            };
            duplicate_part =
                StreamAppend{duplicate_stream,
                             ExpectedVersion::any(),
                             {event(domain::DuplicateKeyRecorded{application}, application)}};
            const auto codes = form::validate_application_form(form.value(), rules);
            events.push_back(codes.empty()
                                 ? event(domain::ApplicationValidated{}, application)
                                 : event(domain::ApplicationRejected{.codes = codes}, application));
            if (codes.empty()) {
                for (const auto& other : validated_not_issued) {
                    events.push_back(event(domain::PossibleDuplicateFlagged{other}, application));
                    flagged_others.push_back(
                        {domain::application_stream(other),
                         ExpectedVersion::any(),
                         {event(domain::PossibleDuplicateFlagged{application}, application)}});
                }
            }
        }
    }
    std::vector<StreamAppend> parts;
    parts.push_back({stream, ExpectedVersion::exact(version.value()), std::move(events)});
    if (duplicate_part) parts.push_back(std::move(*duplicate_part));
    for (auto& flagged : flagged_others) parts.push_back(std::move(flagged));
    auto appended = store_.append_transaction(std::move(parts));
    if (!appended.is_ok()) return appended.status();
    return state_of(store_, application);
}

// One mail on its way in: what each step of ingest() learns and hands to the next.
struct IntakeService::Ingestion {
    Ingestion(std::string_view raw_bytes, std::string_view from_source, std::string sha256_hex,
              Result<MailMessage> parsed_mail)
        : raw(raw_bytes),
          source(from_source),
          raw_sha256(std::move(sha256_hex)),
          parsed(std::move(parsed_mail)) {}
    std::string_view raw, source;
    std::string raw_sha256;
    Result<MailMessage> parsed;  // parsed only to learn the Message-ID until classified
    IngestOutcome outcome;
    std::string message_key, message_stream;
    std::string raw_blob;  // the mail as kept, encrypted (not for a mail over the size limit)
    MailClassification classified;
    std::string sender_key, sender_stream;
    SenderState sender;
    ExpectedVersion sender_expected = ExpectedVersion::no_stream();
    std::vector<StreamAppend> transaction;
    std::optional<std::pair<std::string, std::string>> to_process;  // (attachment, password)
};

// The steps, in order: a repeated mail is answered from its message stream; a mail that is too
// large, broken, refused or unrelated is recorded as such; a form or a password is planned as
// one transaction over the message, sender and application streams; the plan is committed and
// a pair that opened is decrypted, read and validated.
Result<IngestOutcome> IntakeService::ingest(std::string_view raw, std::string_view source) {
    std::lock_guard lock(mutex_);
    // Parse first only to learn the Message-ID; a mail that does not parse is keyed by its bytes.
    Ingestion in(raw, source, to_hex(sha256(raw)), parse_mail(raw, limits_));
    if (in.parsed.is_ok()) in.outcome.message_id = in.parsed->message_id;
    in.message_key =
        in.outcome.message_id.empty() ? "raw:" + in.raw_sha256 : "id:" + in.outcome.message_id;
    in.message_stream = domain::message_stream(
        to_hex(sha256(in.message_key)).substr(0, domain::kMessageKeyHexDigits));
    for (auto step : {&IntakeService::answer_repeat, &IntakeService::keep_and_classify,
                      &IntakeService::find_sender}) {
        auto finished = (this->*step)(in);
        if (!finished.is_ok()) return finished.status();
        if (finished.value()) return std::move(*finished.value());
    }
    auto planned = in.classified.kind == MailKind::form ? plan_form(in) : plan_password(in);
    if (!planned.is_ok()) return planned.status();
    if (planned.value()) return std::move(*planned.value());
    return commit(in);
}

IntakeService::Step IntakeService::reject(Ingestion& in, const std::string& reason,
                                          const std::string& detail,
                                          std::optional<std::string> raw_blob) {
    auto sender_of = [this](const std::string& address) {
        return domain::sender_stream(sender_key_of(address));
    };
    const auto last_answer =
        [&](const std::string& address) -> Result<std::optional<std::int64_t>> {
        auto events = domain::read_current_stream(store_, sender_of(address));
        if (!events.is_ok()) return events.status();
        std::optional<std::int64_t> last;
        for (const auto& e : events.value()) {
            if (domain::is<domain::RefusalAnswered>(e)) last = parse_rfc3339_ms(e.at);
        }
        return last;
    };
    auto answer = answer_refusal(in.raw, reason, in.message_stream, vault_, workflow_,
                                 store_.now_ms(), last_answer);
    if (!answer.is_ok()) return answer.status();
    std::vector<StreamAppend> parts{
        {in.message_stream,
         ExpectedVersion::no_stream(),
         {event(domain::MailRejected{reason, detail, in.raw_sha256, std::move(raw_blob),
                                     in.raw.size(), std::string(in.source), answer->outcome})}}};
    if (answer->mail) {
        parts[0].events.push_back(std::move(*answer->mail));
        parts.push_back({sender_of(answer->recipient),
                         ExpectedVersion::any(),
                         {event(domain::RefusalAnswered{in.message_stream})}});
    }
    auto appended = store_.append_transaction(std::move(parts));
    if (!appended.is_ok()) return appended.status();
    in.outcome.classification = "rejected";
    in.outcome.reason = reason;
    return Step(in.outcome);
}

// The same bytes again are a duplicate (nothing appended); other bytes under a Message-ID
// already taken are refused as a reused id.
IntakeService::Step IntakeService::answer_repeat(Ingestion& in) {
    auto& outcome = in.outcome;
    const std::string_view raw = in.raw, source = in.source;
    const std::string& raw_sha256 = in.raw_sha256;
    const std::string& message_stream = in.message_stream;
    // Duplicate or reused Message-ID?
    auto claimed = store_.read_stream_forward(message_stream, StreamVersion{1}, 1);
    if (!claimed.is_ok()) return claimed.status();
    if (!claimed->empty()) {
        // Every first event of a message stream records the mail's hash and, when it joined
        // one, its application.
        auto first =
            domain::parse_payload_json(claimed->front().type, claimed->front().payload_json);
        if (!first.is_ok()) return first.status();
        if (first->value("raw_sha256", "") == raw_sha256) {
            outcome.classification = "duplicate";
            if (first->contains("application") && (*first)["application"].is_string()) {
                outcome.application = (*first)["application"];
                if (auto state = state_of(store_, outcome.application); state.is_ok())
                    outcome.state = state.value();
            }
            return Step(outcome);
        }
        auto version = store_.stream_version(message_stream);
        if (!version.is_ok()) return version.status();
        auto flagged = store_.append_with_expected_version(
            message_stream, version.value(),
            {event(domain::MessageIdReused{raw_sha256, raw.size(), std::string(source)})});
        if (!flagged.is_ok()) return flagged.status();
        outcome.classification = "rejected";
        outcome.reason = "message_id_reused";
        return Step(outcome);
    }

    return Step(std::nullopt);
}

IntakeService::Step IntakeService::keep_and_classify(Ingestion& in) {
    auto& outcome = in.outcome;
    const std::string_view raw = in.raw, source = in.source;
    const std::string& raw_sha256 = in.raw_sha256;
    const std::string& message_stream = in.message_stream;
    const auto& parsed = in.parsed;
    if (raw.size() > limits_.max_bytes)
        return reject(in, "too_large", parsed.status().message(), std::nullopt);  // not stored
    auto kept = blobs_.put(raw);  // every mail within the limit is kept, encrypted
    if (!kept.is_ok()) return kept.status();
    in.raw_blob = std::move(kept).value();
    if (!parsed.is_ok())
        return reject(in, parsed.status().reason(), parsed.status().message(), in.raw_blob);

    const MailMessage& mail = parsed.value();
    in.classified = classify_mail(mail);
    const MailClassification& classified = in.classified;
    outcome.warnings = mail.warnings;
    outcome.warnings.insert(outcome.warnings.end(), classified.warnings.begin(),
                            classified.warnings.end());
    if (classified.kind == MailKind::rejected)
        return reject(in, classified.reason, classified.detail, in.raw_blob);
    if (classified.kind == MailKind::unrelated) {
        auto appended =
            store_.append(message_stream, ExpectedVersion::no_stream(),
                          {event(domain::UnrelatedMailReceived{raw_sha256, in.raw_blob, raw.size(),
                                                               mail.date, std::string(source)})});
        if (!appended.is_ok()) return appended.status();
        outcome.classification = "unrelated";
        return Step(outcome);
    }

    return Step(std::nullopt);
}

IntakeService::Step IntakeService::find_sender(Ingestion& in) {
    in.sender_key = sender_key_of(in.parsed->sender_address);
    in.sender_stream = domain::sender_stream(in.sender_key);
    auto sender = load_sender(in.sender_stream);
    if (!sender.is_ok()) return sender.status();
    in.sender = std::move(sender).value();
    in.sender_expected = ExpectedVersion::exact(in.sender.version);
    return Step(std::nullopt);
}

// A form mail: a new application, waiting on its sender's stream, or paired at once with a
// password that came first.
IntakeService::Step IntakeService::plan_form(Ingestion& in) {
    auto& outcome = in.outcome;
    const std::string_view raw = in.raw, source = in.source;
    const std::string& raw_sha256 = in.raw_sha256;
    const std::string& message_stream = in.message_stream;
    const std::string& message_key = in.message_key;
    const MailMessage& mail = in.parsed.value();
    const MailClassification& classified = in.classified;
    const std::string& sender_key = in.sender_key;
    const std::string& sender_stream = in.sender_stream;
    const ExpectedVersion& sender_expected = in.sender_expected;
    auto& transaction = in.transaction;
    auto& to_process = in.to_process;
    const std::string application =
        to_hex(sha256("application:" + message_key)).substr(0, domain::kApplicationIdHexDigits);
    const std::string application_stream = domain::application_stream(application);
    const std::string& attachment = classified.attachment->bytes;
    // The CPU budget, checked before anything is kept for this form: a key derivation the
    // file itself makes too costly, or a sender with too many forms waiting.
    if (auto cost = office::check_encryption_cost(attachment, decryption_limits());
        cost.reason() == "spin_count_too_high")
        return reject(in, cost.reason(), cost.message(), in.raw_blob);
    if (in.sender.pending_forms.size() >= limits_.max_pending_forms_per_sender)
        return reject(in, "too_many_pending_forms",
                      "this sender already has " + std::to_string(in.sender.pending_forms.size()) +
                          " forms waiting for their password (at most " +
                          std::to_string(limits_.max_pending_forms_per_sender) + ")",
                      in.raw_blob);
    auto attachment_blob = blobs_.put(attachment);
    if (!attachment_blob.is_ok()) return attachment_blob.status();
    // A password that came first: try each held one against this form's verifier, newest
    // first, within the sender's hourly budget of tries.
    std::optional<SenderState::HeldPassword> match;
    std::string password;
    std::size_t tries_left = tries_left_for(in.sender), tries = 0;
    for (auto held = in.sender.held_passwords.rbegin();
         held != in.sender.held_passwords.rend() && !match && tries < tries_left; ++held) {
        auto candidate = password_of_held_mail(held->raw_blob);
        if (!candidate.is_ok()) continue;
        ++tries;
        if (office::check_password(attachment, candidate.value(), decryption_limits()).is_ok()) {
            match = *held;
            password = candidate.value();
        }
    }
    auto sealed = vault_.seal(application, dump({{"sender", mail.sender_address},
                                                 {"sender_name", mail.sender_display},
                                                 {"filename", classified.attachment->filename}}));
    if (!sealed.is_ok()) return sealed.status();
    StreamAppend application_part{application_stream, ExpectedVersion::no_stream(), {}};
    application_part.events.push_back(
        event(domain::FormMailReceived{mail.message_id,
                                       sender_key,
                                       attachment_blob.value(),
                                       attachment.size(),
                                       in.raw_blob,
                                       mail.date,
                                       std::string(source),
                                       outcome.warnings,
                                       {"sender", "sender_name", "filename"},
                                       sealed.value()},
              application));
    StreamAppend sender_part{sender_stream, sender_expected, {}};
    domain::FormPending pending{application, mail.message_id, attachment_blob.value(),
                                std::nullopt};
    if (tries > 0) pending.password_tries = tries;
    sender_part.events.push_back(event(pending));
    if (match) {
        application_part.events.push_back(
            event(domain::PasswordMailReceived{.message_id = match->message_id,
                                               .password_hmac = keyed_hash("password", password),
                                               .raw_blob = match->raw_blob,
                                               .held = true},
                  application));
        application_part.events.push_back(
            event(domain::MailsPaired{.form_message_id = mail.message_id,
                                      .password_message_id = match->message_id,
                                      .order = "password_first",
                                      .verified_by = "key_verifier"},
                  application));
        sender_part.events.push_back(
            event(domain::Paired{application, match->message_id, std::nullopt}));
        to_process = std::make_pair(attachment, password);
    }
    transaction.push_back({message_stream,
                           ExpectedVersion::no_stream(),
                           {event(domain::MessageIngested{.classification = "form",
                                                          .application = application,
                                                          .raw_sha256 = raw_sha256,
                                                          .raw_blob = in.raw_blob,
                                                          .size = raw.size(),
                                                          .source = std::string(source)})}});
    transaction.push_back(std::move(sender_part));
    transaction.push_back(std::move(application_part));
    outcome.classification = "form";
    outcome.application = application;
    outcome.paired = match.has_value();
    return Step(std::nullopt);
}

// A password mail: it opens a waiting form (paired), or is held for a form still to come.
IntakeService::Step IntakeService::plan_password(Ingestion& in) {
    auto& outcome = in.outcome;
    const std::string_view raw = in.raw, source = in.source;
    const std::string& raw_sha256 = in.raw_sha256;
    const std::string& message_stream = in.message_stream;
    const MailMessage& mail = in.parsed.value();
    const MailClassification& classified = in.classified;
    const std::string& sender_stream = in.sender_stream;
    const ExpectedVersion& sender_expected = in.sender_expected;
    auto& transaction = in.transaction;
    auto& to_process = in.to_process;
    const std::string password_hmac = keyed_hash("password", classified.password);
    // Try the password against every pending form's verifier, newest first; never guess.
    // Each try is a key derivation: a sender whose hourly budget is spent waits.
    const std::size_t tries_left = tries_left_for(in.sender);
    if (!in.sender.pending_forms.empty() && tries_left == 0)
        return reject(in, "too_many_password_attempts",
                      "this sender's passwords were tried " +
                          std::to_string(limits_.max_password_tries_per_sender_per_hour) +
                          " times in the last hour; send the password again later",
                      in.raw_blob);
    std::vector<const SenderState::PendingForm*> opens;
    std::string matched_attachment;
    std::size_t tries = 0;
    for (auto form = in.sender.pending_forms.rbegin();
         form != in.sender.pending_forms.rend() && tries < tries_left; ++form) {
        auto attachment = blobs_.get(form->attachment_blob);
        if (!attachment.is_ok()) return attachment.status();
        ++tries;
        if (office::check_password(attachment.value(), classified.password, decryption_limits())
                .is_ok()) {
            if (opens.empty()) matched_attachment = std::move(attachment).value();
            opens.push_back(&*form);
        }
    }
    if (opens.empty() && tries < in.sender.pending_forms.size())
        // The budget ran out before every waiting form was tried: not a wrong password.
        return reject(in, "too_many_password_attempts",
                      "the budget of password tries for this sender ran out after " +
                          std::to_string(tries) + " of " +
                          std::to_string(in.sender.pending_forms.size()) +
                          " waiting forms; send the password again later",
                      in.raw_blob);
    const domain::PasswordMailReceived password_event{.message_id = mail.message_id,
                                                      .password_hmac = password_hmac,
                                                      .raw_blob = in.raw_blob,
                                                      .date = mail.date,
                                                      .source = std::string(source),
                                                      .warnings = outcome.warnings};
    std::string application;
    StreamAppend sender_part{sender_stream, sender_expected, {}};
    if (!opens.empty()) {
        application = opens.front()->application;
        auto version = version_unless_erased(application);
        if (!version.is_ok()) return version.status();
        StreamAppend application_part{
            domain::application_stream(application), ExpectedVersion::exact(version.value()), {}};
        application_part.events.push_back(event(password_event, application));
        domain::MailsPaired paired{.form_message_id = opens.front()->message_id,
                                   .password_message_id = mail.message_id,
                                   .order = "form_first",
                                   .verified_by = "key_verifier",
                                   .pending_forms = in.sender.pending_forms.size()};
        // The same password opening several pending forms is recorded, not silently resolved.
        if (opens.size() > 1) paired.also_opens = opens.size() - 1;
        application_part.events.push_back(event(paired, application));
        sender_part.events.push_back(event(domain::Paired{application, mail.message_id, tries}));
        transaction.push_back(std::move(application_part));
        to_process = std::make_pair(std::move(matched_attachment), classified.password);
        outcome.paired = true;
    } else {
        // Opens nothing pending: hold it for a form still to come, and tell the newest pending
        // form that a password arrived that does not open it.
        domain::PasswordHeld held{mail.message_id, in.raw_blob, password_hmac, std::nullopt};
        if (tries > 0) held.password_tries = tries;
        sender_part.events.push_back(event(held));
        if (!in.sender.pending_forms.empty()) {
            application = in.sender.pending_forms.back().application;
            auto version = version_unless_erased(application);
            if (!version.is_ok()) return version.status();
            StreamAppend application_part{domain::application_stream(application),
                                          ExpectedVersion::exact(version.value()),
                                          {}};
            application_part.events.push_back(event(password_event, application));
            application_part.events.push_back(
                event(domain::PasswordRejected{mail.message_id, "wrong_password",
                                               in.sender.pending_forms.size()},
                      application));
            transaction.push_back(std::move(application_part));
        }
    }
    transaction.insert(transaction.begin(), std::move(sender_part));
    transaction.insert(
        transaction.begin(),
        StreamAppend{
            message_stream,
            ExpectedVersion::no_stream(),
            {event(domain::MessageIngested{
                .classification = "password",
                .application =
                    application.empty() ? std::nullopt : std::optional<std::string>(application),
                .matched = outcome.paired,
                .raw_sha256 = raw_sha256,
                .raw_blob = in.raw_blob,
                .size = raw.size(),
                .source = std::string(source)})}});
    outcome.classification = "password";
    outcome.application = application;
    return Step(std::nullopt);
}

Result<IngestOutcome> IntakeService::commit(Ingestion& in) {
    auto& outcome = in.outcome;
    auto& transaction = in.transaction;
    auto& to_process = in.to_process;
    auto committed = store_.append_transaction(std::move(transaction));
    if (!committed.is_ok()) return committed.status();
    if (to_process) {
        auto state = process_paired(outcome.application, to_process->first, to_process->second);
        if (!state.is_ok()) return state.status();
        outcome.state = state.value();
    } else if (!outcome.application.empty()) {
        if (auto state = state_of(store_, outcome.application); state.is_ok())
            outcome.state = state.value();
    }
    return outcome;
}

}  // namespace kakitome::intake
