#include "projections/queue_projection.h"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "engine/domain/streams.h"
#include "events/base/timestamp.h"

namespace kakitome {

Status QueueProjection::apply(const RecordedEvent& event, ChangedRows& changed) {
    if (!domain::is_application_stream(event.stream)) return Status::ok();
    // A view, not a copy: a replay folds millions of events into a few thousand records.
    const std::string_view application =
        std::string_view(event.stream).substr(domain::kApplicationStreamPrefix.size());
    auto found = records_.find(application);
    if (found == records_.end()) {
        found = records_.emplace(std::string(application), workflow::ApplicationRecord{}).first;
        found->second.application = found->first;
    }
    // No "already folded" guard on the stream version: the runner's position delivers each
    // stored event once, and the events an upcaster splits one into share its version.
    KAKITOME_RETURN_IF_ERROR(found->second.apply(event));
    changed.insert(application);
    return Status::ok();
}

std::vector<std::string> QueueProjection::keys() const {
    std::vector<std::string> keys;
    for (const auto& [key, record] : records_) keys.push_back(key);
    return keys;
}

std::optional<std::string> QueueProjection::row(const std::string& key) const {
    auto found = records_.find(key);
    if (found == records_.end()) return std::nullopt;
    return found->second.to_json();
}

bool QueueProjection::load_row(const std::string& key, const std::string& bytes) {
    auto record = workflow::ApplicationRecord::from_json(bytes);
    if (!record || record->application != key) return false;
    records_[key] = std::move(*record);
    return true;
}

const workflow::ApplicationRecord* QueueProjection::record(const std::string& application) const {
    auto found = records_.find(application);
    return found == records_.end() ? nullptr : &found->second;
}

void QueueProjection::for_each_record(
    const std::function<void(const workflow::ApplicationRecord&)>& visit) const {
    for (const auto& [application, record] : records_) visit(record);
}

std::vector<QueueEntry> QueueProjection::entries(std::int64_t now_ms) const {
    std::vector<QueueEntry> entries;
    for (const auto& [application, record] : records_) {
        QueueEntry entry;
        entry.application = application;
        entry.state = std::string(domain::state_name(record.state));
        entry.assignee = record.assignee;
        entry.received_at = record.received_at_ms ? format_rfc3339_ms(record.received_at_ms) : "";
        entry.closed = record.closed();
        entry.reasons = record.rejection_codes;
        entry.warnings = record.warnings;
        entry.possible_duplicate_of = record.possible_duplicate_of;
        entry.version = record.decision_version;  // the ETag of the row's application
        if (record.paired_at_ms) {
            entry.paired_at = format_rfc3339_ms(record.paired_at_ms);
            const auto paired = workflow::jst_date_of(record.paired_at_ms);
            entry.sla_due_date =
                config_.calendar.add_business_days(paired, config_.sla_due_business_days)
                    .to_string();
            const auto overdue_at = workflow::jst_midnight_ms(
                config_.calendar.add_business_days(paired, config_.sla_overdue_business_days));
            entry.overdue = !entry.closed && (record.sla_overdue_fired || now_ms >= overdue_at);
        }
        entries.push_back(std::move(entry));
    }
    std::stable_sort(entries.begin(), entries.end(), [](const QueueEntry& a, const QueueEntry& b) {
        if (a.closed != b.closed) return !a.closed;
        // Unpaired applications have no due date yet: after the dated ones.
        const std::string due_a = a.sla_due_date.empty() ? "9999" : a.sla_due_date;
        const std::string due_b = b.sla_due_date.empty() ? "9999" : b.sla_due_date;
        return std::tie(due_a, a.received_at, a.application) <
               std::tie(due_b, b.received_at, b.application);
    });
    return entries;
}

std::string queue_entry_to_json(const QueueEntry& entry) {
    return nlohmann::json{{"application", entry.application},
                          {"state", entry.state},
                          {"assignee", entry.assignee},
                          {"received_at", entry.received_at},
                          {"paired_at", entry.paired_at},
                          {"sla_due_date", entry.sla_due_date},
                          {"overdue", entry.overdue},
                          {"closed", entry.closed},
                          {"reasons", entry.reasons},
                          {"warnings", entry.warnings},
                          {"possible_duplicate_of", entry.possible_duplicate_of},
                          {"version", entry.version.value}}
        .dump();
}

std::string QueueProjection::to_json(std::int64_t now_ms) const {
    std::string out = "[";
    for (const auto& entry : entries(now_ms))
        out += (out.size() > 1 ? "," : "") + queue_entry_to_json(entry);
    return out + "]";
}

std::string QueueProjection::to_text(std::int64_t now_ms) const {
    std::string out =
        "application           state               sla due     overdue received                  "
        "assignee    reasons\n";
    for (const auto& entry : entries(now_ms)) {
        std::string reasons;
        for (const auto& reason : entry.reasons) reasons += (reasons.empty() ? "" : ",") + reason;
        char line[512];
        std::snprintf(line, sizeof line, "%-21s %-19s %-11s %-7s %-25s %-11s %s\n",
                      entry.application.c_str(), entry.state.c_str(),
                      entry.sla_due_date.empty() ? "-" : entry.sla_due_date.c_str(),
                      entry.overdue ? "yes" : "-", entry.received_at.c_str(),
                      entry.assignee.empty() ? "-" : entry.assignee.c_str(), reasons.c_str());
        out += line;
    }
    return out;
}

}  // namespace kakitome
