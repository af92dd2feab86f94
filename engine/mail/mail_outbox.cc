#include "engine/mail/mail_outbox.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "events/timestamp.h"

namespace kakitome::mail {

using nlohmann::json;

MailOutbox::MailOutbox(EventStore& store, const DataKeyVault& vault, OutboxOptions options,
                       std::function<std::int64_t()> clock_ms)
    : store_(store), vault_(vault), options_(std::move(options)), clock_ms_(std::move(clock_ms)) {}

Status MailOutbox::catch_up() {
    return for_each_event(store_, Seq{position_.value + 1}, [this](const RecordedEvent& event) {
        position_ = event.seq;
        if (event.type != "MailQueued" && event.type != "MailSent" && event.type != "MailFailed")
            return;
        const json payload = json::parse(event.payload_json);
        const std::string mail_id = payload.value("mail_id", "");
        if (event.type == "MailQueued") {
            pending_[mail_id] =
                PendingMail{event.stream.substr(event.stream.find('-') + 1),
                            payload.value("pii_sealed", ""), payload.value("message_id", ""), 0, 0};
        } else if (event.type == "MailSent" || payload.value("final", false)) {
            pending_.erase(mail_id);
        } else if (auto found = pending_.find(mail_id); found != pending_.end()) {
            found->second.attempts = payload.value("attempt", 0);
            found->second.next_attempt_ms =
                parse_rfc3339_ms(payload.value("next_attempt_at", "")).value_or(0);
        }
    });
}

Result<DeliveryReport> MailOutbox::deliver_due() {
    KAKITOME_RETURN_IF_ERROR(catch_up());
    DeliveryReport report;
    const std::int64_t now = clock_ms_();
    // Oldest first: mail ids are random, so order by the time each was last due, then id.
    std::vector<std::string> due;
    for (const auto& [mail_id, mail] : pending_) {
        if (mail.next_attempt_ms <= now) due.push_back(mail_id);
    }
    for (const auto& mail_id : due) {
        const PendingMail mail = pending_.at(mail_id);
        const int attempt = mail.attempts + 1;
        const std::string stream = "application-" + mail.application;
        Status delivered;
        bool final = false;
        auto opened = vault_.open_sealed(mail.application, mail.sealed);
        if (!opened.is_ok()) {
            delivered = opened.status();
            final = true;  // erased or unreadable: retrying cannot help
        } else {
            const json parts = json::parse(opened.value());
            delivered = send_smtp(options_.smtp, parts.value("from", ""), parts.value("to", ""),
                                  parts.value("message", ""));
        }
        NewEvent event;
        event.actor = "system";
        event.correlation = mail_id;
        if (delivered.is_ok()) {
            event.type = "MailSent";
            event.payload_json =
                json{{"mail_id", mail_id}, {"attempt", attempt}, {"message_id", mail.message_id}}
                    .dump();
            ++report.sent;
        } else {
            final = final || attempt >= options_.max_attempts;
            const std::int64_t backoff = std::min(
                options_.max_backoff_ms, options_.first_backoff_ms << std::min(attempt - 1, 20));
            event.type = "MailFailed";
            event.payload_json =
                json{{"mail_id", mail_id},
                     {"attempt", attempt},
                     {"error", delivered.message()},
                     {"reason", delivered.reason().empty() ? status_code_name(delivered.code())
                                                           : delivered.reason()},
                     {"final", final},
                     {"next_attempt_at",
                      final ? json(nullptr) : json(format_rfc3339_ms(now + backoff))}}
                    .dump();
            ++report.failed;
        }
        auto appended = store_.append(stream, ExpectedVersion::any(), {std::move(event)});
        if (!appended.is_ok()) return appended.status();
        KAKITOME_RETURN_IF_ERROR(catch_up());
        if (!delivered.is_ok() && !final)
            break;  // the server is the problem; try again after the backoff
    }
    report.pending = static_cast<int>(pending_.size());
    return report;
}

}  // namespace kakitome::mail
