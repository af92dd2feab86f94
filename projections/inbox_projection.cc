#include "projections/inbox_projection.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/intake_events.h"
#include "engine/domain/streams.h"

namespace kakitome {

using nlohmann::json;

namespace {

json entry_json(const InboxEntry& entry) {
    return {{"id", entry.id},
            {"kind", entry.kind},
            {"received_at", entry.received_at},
            {"reason", entry.reason},
            {"size", entry.size},
            {"source", entry.source},
            {"answer", entry.answer},
            {"answer_mail_id", entry.answer_mail_id},
            {"answer_next_attempt_at", entry.answer_next_attempt_at}};
}

}  // namespace

std::string inbox_entry_to_json(const InboxEntry& entry) {
    return entry_json(entry).dump();
}

Status InboxProjection::apply(const RecordedEvent& event, ChangedRows& changed) {
    using namespace domain;
    if (is_application_stream(event.stream)) return Status::ok();
    auto add = [&](InboxEntry entry) {
        changed.insert(entry.id);
        entries_[entry.id] = std::move(entry);
    };
    KAKITOME_RETURN_IF_ERROR(when<MailRejected>(event, [&](const MailRejected& rejected) {
        add({event.stream, "refused", event.at, rejected.reason, rejected.size, rejected.source,
             rejected.answer.value_or(""), "", ""});
    }));
    KAKITOME_RETURN_IF_ERROR(
        when<UnrelatedMailReceived>(event, [&](const UnrelatedMailReceived& unrelated) {
            add({event.stream, "unrelated", event.at, "", unrelated.size, unrelated.source, "", "",
                 ""});
        }));
    KAKITOME_RETURN_IF_ERROR(when<MessageIdReused>(event, [&](const MessageIdReused& reused) {
        add({event.stream + "@" + std::to_string(event.version.value), "message_id_reused",
             event.at, "message_id_reused", reused.size, reused.source, "", "", ""});
    }));
    // The answer's progress through the outbox, in the refused mail's own stream.
    auto answer = [&](const std::string& mail_id, const std::string& state,
                      const std::string& next_attempt_at) {
        auto found = entries_.find(event.stream);
        if (found == entries_.end()) return;
        if (!found->second.answer_mail_id.empty() && found->second.answer_mail_id != mail_id)
            return;
        found->second.answer_mail_id = mail_id;
        found->second.answer = state;
        found->second.answer_next_attempt_at = next_attempt_at;
        changed.insert(event.stream);
    };
    KAKITOME_RETURN_IF_ERROR(when<MailQueued>(
        event, [&](const MailQueued& queued) { answer(queued.mail_id, "queued", ""); }));
    KAKITOME_RETURN_IF_ERROR(
        when<MailSent>(event, [&](const MailSent& sent) { answer(sent.mail_id, "sent", ""); }));
    return when<MailFailed>(event, [&](const MailFailed& failed) {
        answer(failed.mail_id, failed.final ? "failed" : "retrying",
               failed.next_attempt_at.value_or(""));
    });
}

std::vector<std::string> InboxProjection::keys() const {
    std::vector<std::string> keys;
    for (const auto& [key, entry] : entries_) keys.push_back(key);
    return keys;
}

std::optional<std::string> InboxProjection::row(const std::string& key) const {
    auto found = entries_.find(key);
    if (found == entries_.end()) return std::nullopt;
    return entry_json(found->second).dump();
}

bool InboxProjection::load_row(const std::string& key, const std::string& bytes) {
    const auto in = json::parse(bytes, nullptr, false);
    if (!in.is_object()) return false;
    try {
        entries_[key] = {in.at("id"),     in.at("kind"),           in.at("received_at"),
                         in.at("reason"), in.at("size"),           in.at("source"),
                         in.at("answer"), in.at("answer_mail_id"), in.at("answer_next_attempt_at")};
    } catch (const json::exception&) {
        return false;
    }
    return true;
}

std::vector<InboxEntry> InboxProjection::entries() const {
    std::vector<InboxEntry> out;
    out.reserve(entries_.size());
    for (const auto& [key, entry] : entries_) out.push_back(entry);
    std::sort(out.begin(), out.end(), [](const InboxEntry& a, const InboxEntry& b) {
        return a.received_at != b.received_at ? a.received_at > b.received_at : a.id < b.id;
    });
    return out;
}

}  // namespace kakitome
