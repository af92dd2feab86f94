#include "engine/intake/refusal_answer.h"

#include <algorithm>
#include <array>

#include <nlohmann/json.hpp>

#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/intake/mail_classification.h"
#include "engine/intake/mail_message.h"
#include "engine/mail/mail_templates.h"
#include "engine/mail/outgoing_mail.h"
#include "engine/workflow/civil_date.h"
#include "events/base/aead.h"

namespace kakitome::intake {

namespace {

// "2026年11月27日 9時30分" in JST, the applicant's clock.
std::string japanese_time(std::int64_t epoch_ms) {
    const auto date = workflow::jst_date_of(epoch_ms);
    const std::int64_t minutes = (epoch_ms - workflow::jst_midnight_ms(date)) / 60'000;
    return mail::japanese_date(date.to_string()) + " " + std::to_string(minutes / 60) + "時" +
           std::to_string(minutes % 60) + "分";
}

// The refusals an applicant can fix by sending again.
constexpr std::array<std::string_view, 10> kFixable = {
    "attachment_not_encrypted", "no_attachment",     "multiple_attachments",
    "attachment_not_office",    "password_too_long", "password_has_control_characters",
    "unknown_charset",          "too_large",         "mime_too_deep",
    "spin_count_too_high"};
}  // namespace

std::span<const std::string_view> answered_refusal_reasons() {
    return kFixable;
}

bool refusal_is_answered(std::string_view reason) {
    return std::find(kFixable.begin(), kFixable.end(), reason) != kFixable.end();
}

Result<RefusalAnswer> answer_refusal(std::string_view raw, const std::string& reason,
                                     const std::string& message_stream, DataKeyVault& vault,
                                     const workflow::WorkflowConfig& config, std::int64_t now_ms,
                                     const LastAnswerLookup& last_answer) {
    if (!refusal_is_answered(reason)) return RefusalAnswer{"not_fixable", std::nullopt};
    auto addressing = read_reply_addressing(raw);
    if (!addressing.is_ok()) return RefusalAnswer{"no_sender", std::nullopt};
    if (!subject_matches(addressing->subject))
        return RefusalAnswer{"not_an_application", std::nullopt};
    if (addressing->automatic) return RefusalAnswer{"automatic_mail", std::nullopt};
    if (normalize_sender(addressing->sender_address) == normalize_sender(config.mail_from))
        return RefusalAnswer{"own_address", std::nullopt};
    auto last = last_answer(addressing->sender_address);
    if (!last.is_ok()) return last.status();
    if (last.value() && now_ms - *last.value() < kRefusalAnswerIntervalMs)
        return RefusalAnswer{"throttled", std::nullopt};

    mail::TemplateFields fields;
    fields.codes = {reason};
    fields.received = japanese_time(now_ms);
    const auto rendered = mail::render_mail(mail::MailTemplate::intake_refused, fields);
    const std::string mail_id = random_hex(16);
    mail::OutgoingMail outgoing{
        config.mail_from, config.mail_from_name, addressing->sender_address,
        rendered.subject, rendered.body,         mail_id + "@" + config.message_id_domain,
        now_ms,           addressing->message_id};
    const nlohmann::json sealed_part{{"from", config.mail_from},
                                     {"to", addressing->sender_address},
                                     {"message", mail::render_rfc5322(outgoing)}};
    auto sealed = vault.seal(domain::data_key_of(message_stream), sealed_part.dump());
    if (!sealed.is_ok()) return sealed.status();
    return RefusalAnswer{
        "queued",
        domain::new_event(
            domain::MailQueued{mail_id,
                               std::string(mail::template_name(mail::MailTemplate::intake_refused)),
                               outgoing.message_id,
                               {"to", "message"},
                               sealed.value()},
            {.actor = "system", .correlation = message_stream}),
        addressing->sender_address};
}

}  // namespace kakitome::intake
