#include "engine/mail/mail_outbox.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/domain/upcasting.h"
#include "events/base/sha256.h"
#include "events/base/timestamp.h"
#include "events/meta_store.h"

namespace kakitome::mail {

using nlohmann::json;

MailOutbox::MailOutbox(EventStore& store, const DataKeyVault& vault, OutboxOptions options,
                       std::function<std::int64_t()> clock_ms)
    : store_(store), vault_(vault), options_(std::move(options)), clock_ms_(std::move(clock_ms)) {}

namespace {

constexpr std::string_view kStateKey = "outbox:state";
constexpr int kStateFormat = 1;
constexpr std::uint64_t kStoreEveryEvents = 100'000;
constexpr std::int64_t kStoreEveryMs = 10'000;

// The hash of the event at `position` (64 hex digits; "" before the first event): the stored
// state names the history it was folded from, not only how far.
Result<std::string> hash_at(const EventStore& store, Seq position) {
    if (position.value == 0) return std::string();
    auto event = store.read_event(position);
    if (!event.is_ok()) return event.status();
    return to_hex(event->hash);
}

}  // namespace

Status MailOutbox::load_state() {
    auto stored = MetaStore(store_.database()).get(kStateKey);
    if (!stored.is_ok()) return stored.status();
    loaded_ = true;
    if (!stored->has_value()) return Status::ok();
    // Whatever is wrong with the stored state, it is only a shortcut: fold the log again.
    const json state = json::parse(**stored, nullptr, false);
    if (!state.is_object() || !state.contains("position") ||
        !state["position"].is_number_unsigned() || state.value("format", json()) != kStateFormat)
        return Status::ok();
    const Seq position{state["position"].get<std::uint64_t>()};
    // Folded from another history (the log is shorter, or its event there is not the same).
    if (position.value > store_.head().value) return Status::ok();
    auto hash = hash_at(store_, position);
    if (!hash.is_ok()) return hash.status();
    if (state.value("hash", json()) != hash.value()) return Status::ok();
    std::map<std::string, PendingMail> pending;
    try {
        for (const auto& [mail_id, mail] : state.at("pending").items())
            pending[mail_id] =
                PendingMail{mail.at("stream"), mail.at("sealed"), mail.at("message_id"),
                            mail.at("attempts"), mail.at("next_attempt_ms")};
    } catch (const json::exception&) {
        return Status::ok();
    }
    pending_ = std::move(pending);
    position_ = stored_position_ = position;
    return Status::ok();
}

Status MailOutbox::store_state_when_due() {
    const std::int64_t now = clock_ms_();
    if (position_.value == stored_position_.value ||
        (position_.value - stored_position_.value < kStoreEveryEvents &&
         now - stored_at_ms_ < kStoreEveryMs))
        return Status::ok();
    json pending = json::object();
    for (const auto& [mail_id, mail] : pending_)
        pending[mail_id] = {{"stream", mail.stream},
                            {"sealed", mail.sealed},
                            {"message_id", mail.message_id},
                            {"attempts", mail.attempts},
                            {"next_attempt_ms", mail.next_attempt_ms}};
    auto hash = hash_at(store_, position_);
    if (!hash.is_ok()) return hash.status();
    const json state{{"format", kStateFormat},
                     {"position", position_.value},
                     {"hash", hash.value()},
                     {"pending", std::move(pending)}};
    KAKITOME_RETURN_IF_ERROR(MetaStore(store_.database()).put(kStateKey, state.dump()));
    stored_position_ = position_;
    stored_at_ms_ = now;
    return Status::ok();
}

Status MailOutbox::catch_up() {
    using namespace domain;
    if (!loaded_) KAKITOME_RETURN_IF_ERROR(load_state());
    Status folded;
    const Status read =
        for_each_current_event(store_, Seq{position_.value + 1}, [&](const RecordedEvent& event) {
            if (!folded.is_ok()) return;
            folded = [&]() -> Status {
                KAKITOME_RETURN_IF_ERROR(when<MailQueued>(event, [&](const MailQueued& queued) {
                    pending_[queued.mail_id] =
                        PendingMail{event.stream, queued.pii_sealed, queued.message_id, 0, 0};
                }));
                KAKITOME_RETURN_IF_ERROR(when<MailSent>(
                    event, [&](const MailSent& sent) { pending_.erase(sent.mail_id); }));
                return when<MailFailed>(event, [&](const MailFailed& failed) {
                    if (failed.final) {
                        pending_.erase(failed.mail_id);
                    } else if (auto found = pending_.find(failed.mail_id);
                               found != pending_.end()) {
                        found->second.attempts = static_cast<int>(failed.attempt);
                        found->second.next_attempt_ms =
                            parse_rfc3339_ms(failed.next_attempt_at.value_or("")).value_or(0);
                    }
                });
            }();
            if (folded.is_ok()) position_ = event.seq;
        });
    return read.is_ok() ? folded : read;
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
        const std::string& stream = mail.stream;
        Status delivered;
        bool final = false;
        auto opened = vault_.open_sealed(domain::data_key_of(stream), mail.sealed);
        if (!opened.is_ok()) {
            delivered = opened.status();
            final = true;  // erased or unreadable: retrying cannot help
        } else {
            const json parts = json::parse(opened.value(), nullptr, false);
            if (!parts.is_object()) {
                delivered = Status::corruption("the sealed mail of " + mail_id + " is not JSON");
                final = true;
            } else {
                delivered = send_smtp(options_.smtp, parts.value("from", ""), parts.value("to", ""),
                                      parts.value("message", ""));
            }
        }
        const domain::EventContext context{.actor = "system", .correlation = mail_id};
        NewEvent event;
        if (delivered.is_ok()) {
            event = domain::new_event(domain::MailSent{mail_id, attempt, mail.message_id}, context);
            ++report.sent;
        } else {
            final = final || attempt >= options_.max_attempts;
            const std::int64_t backoff = std::min(
                options_.max_backoff_ms, options_.first_backoff_ms << std::min(attempt - 1, 20));
            domain::MailFailed failed{mail_id,
                                      attempt,
                                      delivered.message(),
                                      delivered.reason().empty()
                                          ? std::string(status_code_name(delivered.code()))
                                          : delivered.reason(),
                                      final,
                                      std::nullopt};
            if (!final) failed.next_attempt_at = format_rfc3339_ms(now + backoff);
            event = domain::new_event(failed, context);
            ++report.failed;
        }
        auto appended = store_.append(stream, ExpectedVersion::any(), {std::move(event)});
        if (!appended.is_ok()) return appended.status();
        KAKITOME_RETURN_IF_ERROR(catch_up());
        if (!delivered.is_ok() && !final)
            break;  // the server is the problem; try again after the backoff
    }
    report.pending = static_cast<int>(pending_.size());
    KAKITOME_RETURN_IF_ERROR(store_state_when_due());
    return report;
}

}  // namespace kakitome::mail
