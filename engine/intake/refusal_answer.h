// The automatic answer to a mail intake refused (docs/intake.md "Refused mail"): an applicant
// whose mail was refused for something they can fix (no password on the form, no attachment,
// two attachments, a mail too large, ...) is told in Japanese what to fix and how to send again,
// so the secretariat's 4–5 business-day promise never fails in silence.
//
// The answer is a `MailQueued` event for the outbox, sealed under the message stream's own
// vault key (streams.h data_key_of), appended with the `MailRejected` that refuses the mail in
// the stream that claims the mail's Message-ID. So a mail is answered at most once: the same
// mail again appends nothing. Nobody is answered whose mail was automatic (RFC 3834), who wrote
// with another subject, from the secretariat's own address, or whose refusal is a defence
// (too_many_pending_forms, too_many_password_attempts, message_id_reused): answering those
// would let a forged sender turn kakitome into a mail cannon. And one address gets at most one
// answer a day (kRefusalAnswerIntervalMs, RefusalAnswered on its sender stream): a flood of
// forged mails in someone's name costs them one mail, not one per forgery.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "engine/workflow/workflow_config.h"
#include "events/data_key_vault.h"
#include "events/event.h"

namespace kakitome::intake {

// The refusal reasons an applicant can fix by sending again; each has Japanese wording
// (mail::explain_reason).
std::span<const std::string_view> answered_refusal_reasons();
bool refusal_is_answered(std::string_view reason);

inline constexpr std::int64_t kRefusalAnswerIntervalMs = 24LL * 3600 * 1000;

struct RefusalAnswer {
    // "queued", or why no answer is sent: not_fixable, automatic_mail, not_an_application,
    // no_sender, own_address, throttled (this address was answered within the interval).
    std::string outcome;
    std::optional<NewEvent> mail;  // the MailQueued event when outcome is "queued"
    std::string recipient;         // the address answered, when queued
};

// When `recipient` was last answered (epoch ms), or nullopt: the caller reads its sender stream.
using LastAnswerLookup = std::function<Result<std::optional<std::int64_t>>(const std::string&)>;

// `raw` is the refused mail as received (only its header block is read).
Result<RefusalAnswer> answer_refusal(std::string_view raw, const std::string& reason,
                                     const std::string& message_stream, DataKeyVault& vault,
                                     const workflow::WorkflowConfig& config, std::int64_t now_ms,
                                     const LastAnswerLookup& last_answer);

}  // namespace kakitome::intake
