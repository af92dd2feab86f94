#include "engine/intake/intake_service.h"

#include "events/timestamp.h"

#include <nlohmann/json.hpp>

#include "engine/application_state.h"
#include "engine/form/application_form.h"
#include "engine/form/form_validation.h"
#include "engine/intake/mail_classification.h"
#include "engine/office/office_crypto.h"
#include "engine/office/office_document.h"
#include "engine/workflow/application_record.h"
#include "events/sha256.h"

namespace kakitome::intake {

using nlohmann::json;

namespace {

std::string dump(const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

NewEvent event(std::string type, const json& payload, std::string correlation = {}) {
    return NewEvent{.type = std::move(type),
                    .payload_json = dump(payload),
                    .actor = "system",
                    .correlation = std::move(correlation)};
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
                             const AeadKey& master_key, MailLimits limits,
                             form::UsagePeriod usage_period)
    : store_(store),
      blobs_(blobs),
      vault_(vault),
      hmac_key_(derive_key(master_key, "kakitome intake hmac v1")),
      limits_(limits),
      usage_period_(std::move(usage_period)) {}

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
    const std::string digest = office::hmac(office::HashAlgorithm::sha256, key,
                                            std::string(purpose) + ":" + std::string(value));
    return to_hex(reinterpret_cast<const std::uint8_t*>(digest.data()), digest.size());
}

Result<IntakeService::SenderState> IntakeService::load_sender(const std::string& stream) const {
    auto events = read_whole_stream(store_, stream);
    if (!events.is_ok()) return events.status();
    SenderState state;
    for (const auto& e : events.value()) {
        state.version = e.version;
        const json payload = json::parse(e.payload_json);
        if (const auto tries = payload.value("password_tries", std::size_t{0}); tries > 0)
            state.tries.emplace_back(parse_rfc3339_ms(e.at).value_or(0), tries);
        if (e.type == "FormPending") {
            state.pending_forms.push_back({payload.at("application"), payload.at("message_id"),
                                           payload.at("attachment_blob")});
        } else if (e.type == "PasswordHeld") {
            state.held_passwords.push_back({payload.at("message_id"), payload.at("raw_blob")});
        } else if (e.type == "Paired") {
            const std::string application = payload.at("application"),
                              password = payload.at("password_message_id");
            std::erase_if(state.pending_forms,
                          [&](const auto& form) { return form.application == application; });
            std::erase_if(state.held_passwords,
                          [&](const auto& held) { return held.message_id == password; });
        }
    }
    return state;
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
    const std::string stream = "application-" + application;
    auto version = store_.stream_version(stream);
    if (!version.is_ok()) return version.status();
    std::vector<NewEvent> events;
    std::optional<StreamAppend> duplicate_part;
    std::vector<StreamAppend> flagged_others;
    auto document = office::decrypt_document(attachment, password, decryption_limits());
    if (!document.is_ok()) {
        events.push_back(event(
            "ApplicationRejected",
            {{"codes", {document.status().reason()}}, {"detail", document.status().message()}},
            application));
    } else {
        events.push_back(event("FormDecrypted",
                               {{"method", office::encryption_method_name(document->method)},
                                {"integrity_checked", document->integrity_checked},
                                {"plaintext_sha256", to_hex(sha256(document->package))},
                                {"plaintext_bytes", document->package.size()}},
                               application));
        auto form = form::read_application_form(document->package);
        if (!form.is_ok()) {
            events.push_back(
                event("ApplicationRejected",
                      {{"codes", {form.status().reason()}}, {"detail", form.status().message()}},
                      application));
        } else {
            const json personal{{"organization", form->organization},
                                {"contact_email", form->contact_email},
                                {"usage_other", form->usage_other},
                                {"remarks", form->remarks}};
            auto sealed = vault_.seal(application, dump(personal));
            if (!sealed.is_ok()) return sealed.status();
            events.push_back(
                event("FormParsed",
                      {{"application_date", form->application_date},
                       {"usages", form->usages},
                       {"consent", form->consent},
                       {"sheet", form->sheet},
                       {"pii_fields", {"organization", "contact_email", "usage_other", "remarks"}},
                       {"pii_sealed", sealed.value()}},
                      application));
            // Same organisation and contact address as an application whose link was already
            // issued: duplicate_application. The key is kept only as an HMAC (it is PII).
            const std::string duplicate_stream =
                "duplicate-" +
                keyed_hash("duplicate", form::duplicate_key(form.value())).substr(0, 40);
            form::ValidationRules rules;
            rules.usage_period = usage_period_;
            // Earlier applications with the same key: one already issued makes this a
            // duplicate_application; one validated but not yet issued is a possible duplicate,
            // flagged on both so that staff do not approve twice without seeing it.
            std::vector<std::string> validated_not_issued;
            rules.already_issued = [&](const std::string&) {
                auto earlier = read_whole_stream(store_, duplicate_stream);
                if (!earlier.is_ok()) return false;
                bool issued = false;
                for (const auto& recorded : earlier.value()) {
                    const std::string other =
                        json::parse(recorded.payload_json).value("application", "");
                    if (other == application) continue;
                    auto record = workflow::load_application(store_, other);
                    if (!record.is_ok() || record->erased) continue;
                    if (!record->urls.empty())
                        issued = true;
                    else if (record->state == "validated")
                        validated_not_issued.push_back(other);
                }
                return issued;
            };
            duplicate_part = StreamAppend{
                duplicate_stream,
                ExpectedVersion::any(),
                {event("DuplicateKeyRecorded", {{"application", application}}, application)}};
            const auto codes = form::validate_application_form(form.value(), rules);
            events.push_back(codes.empty()
                                 ? event("ApplicationValidated", json::object(), application)
                                 : event("ApplicationRejected", {{"codes", codes}}, application));
            if (codes.empty()) {
                for (const auto& other : validated_not_issued) {
                    events.push_back(
                        event("PossibleDuplicateFlagged", {{"other", other}}, application));
                    flagged_others.push_back({"application-" + other,
                                              ExpectedVersion::any(),
                                              {event("PossibleDuplicateFlagged",
                                                     {{"other", application}}, application)}});
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
    auto all = read_whole_stream(store_, stream);
    if (!all.is_ok()) return all.status();
    return application_state(all.value());
}

Result<IngestOutcome> IntakeService::ingest(std::string_view raw, std::string_view source) {
    std::lock_guard lock(mutex_);
    IngestOutcome outcome;
    const std::string raw_sha256 = to_hex(sha256(raw));

    // Parse first only to learn the Message-ID; a mail that does not parse is keyed by its bytes.
    auto parsed = parse_mail(raw, limits_);
    if (parsed.is_ok()) outcome.message_id = parsed->message_id;
    const std::string message_key =
        outcome.message_id.empty() ? "raw:" + raw_sha256 : "id:" + outcome.message_id;
    const std::string message_stream = "message-" + to_hex(sha256(message_key)).substr(0, 32);

    // Duplicate or reused Message-ID?
    auto claimed = store_.read_stream_forward(message_stream, StreamVersion{1}, 1);
    if (!claimed.is_ok()) return claimed.status();
    if (!claimed->empty()) {
        const json first = json::parse(claimed->front().payload_json);
        if (first.value("raw_sha256", "") == raw_sha256) {
            outcome.classification = "duplicate";
            if (first.contains("application") && first["application"].is_string()) {
                outcome.application = first["application"];
                auto events = read_whole_stream(store_, "application-" + outcome.application);
                if (events.is_ok()) outcome.state = application_state(events.value());
            }
            return outcome;
        }
        auto version = store_.stream_version(message_stream);
        if (!version.is_ok()) return version.status();
        auto flagged = store_.append_with_expected_version(
            message_stream, version.value(),
            {event("MessageIdReused",
                   {{"raw_sha256", raw_sha256}, {"size", raw.size()}, {"source", source}})});
        if (!flagged.is_ok()) return flagged.status();
        outcome.classification = "rejected";
        outcome.reason = "message_id_reused";
        return outcome;
    }

    auto reject = [&](const std::string& reason, const std::string& detail,
                      const json& raw_blob) -> Result<IngestOutcome> {
        auto appended = store_.append(message_stream, ExpectedVersion::no_stream(),
                                      {event("MailRejected", {{"reason", reason},
                                                              {"detail", detail},
                                                              {"raw_sha256", raw_sha256},
                                                              {"raw_blob", raw_blob},
                                                              {"size", raw.size()},
                                                              {"source", source}})});
        if (!appended.is_ok()) return appended.status();
        outcome.classification = "rejected";
        outcome.reason = reason;
        return outcome;
    };

    if (raw.size() > limits_.max_bytes)
        return reject("too_large", parsed.status().message(), nullptr);  // not stored
    auto raw_blob = blobs_.put(raw);  // every mail within the limit is kept, encrypted
    if (!raw_blob.is_ok()) return raw_blob.status();
    if (!parsed.is_ok())
        return reject(parsed.status().reason(), parsed.status().message(), raw_blob.value());

    const MailMessage& mail = parsed.value();
    MailClassification classified = classify_mail(mail);
    outcome.warnings = mail.warnings;
    outcome.warnings.insert(outcome.warnings.end(), classified.warnings.begin(),
                            classified.warnings.end());
    if (classified.kind == MailKind::rejected)
        return reject(classified.reason, classified.detail, raw_blob.value());
    if (classified.kind == MailKind::unrelated) {
        auto appended =
            store_.append(message_stream, ExpectedVersion::no_stream(),
                          {event("UnrelatedMailReceived", {{"raw_sha256", raw_sha256},
                                                           {"raw_blob", raw_blob.value()},
                                                           {"size", raw.size()},
                                                           {"date", mail.date},
                                                           {"source", source}})});
        if (!appended.is_ok()) return appended.status();
        outcome.classification = "unrelated";
        return outcome;
    }

    const std::string sender_key =
        keyed_hash("sender", normalize_sender(mail.sender_address)).substr(0, 32);
    const std::string sender_stream = "sender-" + sender_key;
    auto sender = load_sender(sender_stream);
    if (!sender.is_ok()) return sender.status();
    const ExpectedVersion sender_expected = ExpectedVersion::exact(sender->version);
    std::vector<StreamAppend> transaction;
    std::optional<std::pair<std::string, std::string>> to_process;  // (attachment bytes, password)

    if (classified.kind == MailKind::form) {
        const std::string application = to_hex(sha256("application:" + message_key)).substr(0, 20);
        const std::string application_stream = "application-" + application;
        const std::string& attachment = classified.attachment->bytes;
        // The CPU budget, checked before anything is kept for this form: a key derivation the
        // file itself makes too costly, or a sender with too many forms waiting.
        if (auto cost = office::check_encryption_cost(attachment, decryption_limits());
            cost.reason() == "spin_count_too_high")
            return reject(cost.reason(), cost.message(), raw_blob.value());
        if (sender->pending_forms.size() >= limits_.max_pending_forms_per_sender)
            return reject("too_many_pending_forms",
                          "this sender already has " +
                              std::to_string(sender->pending_forms.size()) +
                              " forms waiting for their password (at most " +
                              std::to_string(limits_.max_pending_forms_per_sender) + ")",
                          raw_blob.value());
        auto attachment_blob = blobs_.put(attachment);
        if (!attachment_blob.is_ok()) return attachment_blob.status();
        // A password that came first: try each held one against this form's verifier, newest
        // first, within the sender's hourly budget of tries.
        std::optional<SenderState::HeldPassword> match;
        std::string password;
        std::size_t tries_left = tries_left_for(sender.value()), tries = 0;
        for (auto held = sender->held_passwords.rbegin();
             held != sender->held_passwords.rend() && !match && tries < tries_left; ++held) {
            auto candidate = password_of_held_mail(held->raw_blob);
            if (!candidate.is_ok()) continue;
            ++tries;
            if (office::check_password(attachment, candidate.value(), decryption_limits())
                    .is_ok()) {
                match = *held;
                password = candidate.value();
            }
        }
        auto sealed =
            vault_.seal(application, dump({{"sender", mail.sender_address},
                                           {"sender_name", mail.sender_display},
                                           {"filename", classified.attachment->filename}}));
        if (!sealed.is_ok()) return sealed.status();
        StreamAppend application_part{application_stream, ExpectedVersion::no_stream(), {}};
        application_part.events.push_back(
            event("FormMailReceived",
                  {{"message_id", mail.message_id},
                   {"sender_key", sender_key},
                   {"attachment_blob", attachment_blob.value()},
                   {"attachment_bytes", attachment.size()},
                   {"raw_blob", raw_blob.value()},
                   {"date", mail.date},
                   {"source", source},
                   {"warnings", outcome.warnings},
                   {"pii_fields", {"sender", "sender_name", "filename"}},
                   {"pii_sealed", sealed.value()}},
                  application));
        StreamAppend sender_part{sender_stream, sender_expected, {}};
        json pending{{"application", application},
                     {"message_id", mail.message_id},
                     {"attachment_blob", attachment_blob.value()}};
        if (tries > 0) pending["password_tries"] = tries;
        sender_part.events.push_back(event("FormPending", pending));
        if (match) {
            application_part.events.push_back(
                event("PasswordMailReceived",
                      {{"message_id", match->message_id},
                       {"password_hmac", keyed_hash("password", password)},
                       {"raw_blob", match->raw_blob},
                       {"held", true}},
                      application));
            application_part.events.push_back(event("MailsPaired",
                                                    {{"form_message_id", mail.message_id},
                                                     {"password_message_id", match->message_id},
                                                     {"order", "password_first"},
                                                     {"verified_by", "key_verifier"}},
                                                    application));
            sender_part.events.push_back(
                event("Paired",
                      {{"application", application}, {"password_message_id", match->message_id}}));
            to_process = std::make_pair(attachment, password);
        }
        transaction.push_back({message_stream,
                               ExpectedVersion::no_stream(),
                               {event("MessageIngested", {{"classification", "form"},
                                                          {"application", application},
                                                          {"raw_sha256", raw_sha256},
                                                          {"raw_blob", raw_blob.value()},
                                                          {"size", raw.size()},
                                                          {"source", source}})}});
        transaction.push_back(std::move(sender_part));
        transaction.push_back(std::move(application_part));
        outcome.classification = "form";
        outcome.application = application;
        outcome.paired = match.has_value();
    } else {  // password
        const std::string password_hmac = keyed_hash("password", classified.password);
        // Try the password against every pending form's verifier, newest first; never guess.
        // Each try is a key derivation: a sender whose hourly budget is spent waits.
        const std::size_t tries_left = tries_left_for(sender.value());
        if (!sender->pending_forms.empty() && tries_left == 0)
            return reject("too_many_password_attempts",
                          "this sender's passwords were tried " +
                              std::to_string(limits_.max_password_tries_per_sender_per_hour) +
                              " times in the last hour; send the password again later",
                          raw_blob.value());
        std::vector<const SenderState::PendingForm*> opens;
        std::string matched_attachment;
        std::size_t tries = 0;
        for (auto form = sender->pending_forms.rbegin();
             form != sender->pending_forms.rend() && tries < tries_left; ++form) {
            auto attachment = blobs_.get(form->attachment_blob);
            if (!attachment.is_ok()) return attachment.status();
            ++tries;
            if (office::check_password(attachment.value(), classified.password, decryption_limits())
                    .is_ok()) {
                if (opens.empty()) matched_attachment = std::move(attachment).value();
                opens.push_back(&*form);
            }
        }
        if (opens.empty() && tries < sender->pending_forms.size())
            // The budget ran out before every waiting form was tried: not a wrong password.
            return reject("too_many_password_attempts",
                          "the budget of password tries for this sender ran out after " +
                              std::to_string(tries) + " of " +
                              std::to_string(sender->pending_forms.size()) +
                              " waiting forms; send the password again later",
                          raw_blob.value());
        const json password_event{{"message_id", mail.message_id},
                                  {"password_hmac", password_hmac},
                                  {"raw_blob", raw_blob.value()},
                                  {"date", mail.date},
                                  {"source", source},
                                  {"warnings", outcome.warnings}};
        std::string application;
        StreamAppend sender_part{sender_stream, sender_expected, {}};
        if (!opens.empty()) {
            application = opens.front()->application;
            auto version = store_.stream_version("application-" + application);
            if (!version.is_ok()) return version.status();
            StreamAppend application_part{
                "application-" + application, ExpectedVersion::exact(version.value()), {}};
            application_part.events.push_back(
                event("PasswordMailReceived", password_event, application));
            json paired{{"form_message_id", opens.front()->message_id},
                        {"password_message_id", mail.message_id},
                        {"order", "form_first"},
                        {"verified_by", "key_verifier"},
                        {"pending_forms", sender->pending_forms.size()}};
            // The same password opening several pending forms is recorded, not silently resolved.
            if (opens.size() > 1) paired["also_opens"] = opens.size() - 1;
            application_part.events.push_back(event("MailsPaired", paired, application));
            sender_part.events.push_back(event("Paired", {{"application", application},
                                                          {"password_message_id", mail.message_id},
                                                          {"password_tries", tries}}));
            transaction.push_back(std::move(application_part));
            to_process = std::make_pair(std::move(matched_attachment), classified.password);
            outcome.paired = true;
        } else {
            // Opens nothing pending: hold it for a form still to come, and tell the newest pending
            // form that a password arrived that does not open it.
            json held{{"message_id", mail.message_id},
                      {"raw_blob", raw_blob.value()},
                      {"password_hmac", password_hmac}};
            if (tries > 0) held["password_tries"] = tries;
            sender_part.events.push_back(event("PasswordHeld", held));
            if (!sender->pending_forms.empty()) {
                application = sender->pending_forms.back().application;
                auto version = store_.stream_version("application-" + application);
                if (!version.is_ok()) return version.status();
                StreamAppend application_part{
                    "application-" + application, ExpectedVersion::exact(version.value()), {}};
                application_part.events.push_back(
                    event("PasswordMailReceived", password_event, application));
                application_part.events.push_back(
                    event("PasswordRejected",
                          {{"message_id", mail.message_id},
                           {"reason", "wrong_password"},
                           {"forms_tried", sender->pending_forms.size()}},
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
                {event("MessageIngested",
                       {{"classification", "password"},
                        {"application", application.empty() ? json(nullptr) : json(application)},
                        {"matched", outcome.paired},
                        {"raw_sha256", raw_sha256},
                        {"raw_blob", raw_blob.value()},
                        {"size", raw.size()},
                        {"source", source}})}});
        outcome.classification = "password";
        outcome.application = application;
    }

    auto committed = store_.append_transaction(std::move(transaction));
    if (!committed.is_ok()) return committed.status();
    if (to_process) {
        auto state = process_paired(outcome.application, to_process->first, to_process->second);
        if (!state.is_ok()) return state.status();
        outcome.state = state.value();
    } else if (!outcome.application.empty()) {
        auto events = read_whole_stream(store_, "application-" + outcome.application);
        if (events.is_ok()) outcome.state = application_state(events.value());
    }
    return outcome;
}

}  // namespace kakitome::intake
