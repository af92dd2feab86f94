#include "engine/retention/refused_mail.h"

#include <algorithm>

#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/intake_events.h"
#include "engine/domain/upcasting.h"
#include "events/base/timestamp.h"

namespace kakitome::retention {

Result<std::optional<RefusedMail>> load_refused_mail(const EventStore& store,
                                                     const std::string& stream) {
    using namespace domain;
    auto events = read_current_stream(store, stream);
    if (!events.is_ok()) return events.status();
    RefusedMail mail;
    mail.stream = stream;
    for (const auto& event : events.value()) {
        mail.version = event.version;
        auto arrived = [&](const char* kind, const std::string& raw_blob) {
            mail.kind = kind;
            mail.received_at_ms = parse_rfc3339_ms(event.at).value_or(0);
            if (!raw_blob.empty()) mail.raw_blobs.push_back(raw_blob);
        };
        KAKITOME_RETURN_IF_ERROR(when<MailRejected>(event, [&](const MailRejected& rejected) {
            arrived("refused", rejected.raw_blob.value_or(""));
        }));
        KAKITOME_RETURN_IF_ERROR(
            when<UnrelatedMailReceived>(event, [&](const UnrelatedMailReceived& unrelated) {
                arrived("unrelated", unrelated.raw_blob);
            }));
        KAKITOME_RETURN_IF_ERROR(when<MailQueued>(event, [&](const MailQueued& queued) {
            mail.mails_in_flight.push_back(queued.mail_id);
        }));
        KAKITOME_RETURN_IF_ERROR(when<MailSent>(
            event, [&](const MailSent& sent) { std::erase(mail.mails_in_flight, sent.mail_id); }));
        KAKITOME_RETURN_IF_ERROR(when<MailFailed>(event, [&](const MailFailed& failed) {
            if (failed.final) std::erase(mail.mails_in_flight, failed.mail_id);
        }));
        if (is<MessageRetentionErased>(event)) mail.erased = true;
    }
    if (mail.kind.empty()) return std::optional<RefusedMail>();
    return std::optional<RefusedMail>(std::move(mail));
}

}  // namespace kakitome::retention
