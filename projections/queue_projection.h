// QueueProjection: the secretariat's work list. One row per application: its folded
// ApplicationRecord (no PII in clear: sealed fields stay sealed), from which the view adds the
// SLA dates by the business calendar. Open applications come first, by SLA due date, then by
// arrival; closed ones after. `overdue` is judged against the clock when the view is made, so
// the stored rows stay a pure function of the log.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/workflow/application_record.h"
#include "engine/workflow/workflow_config.h"
#include "projections/projection.h"

namespace kakitome {

struct QueueEntry {
    std::string application;
    std::string state;
    std::string assignee;
    std::string received_at;   // RFC 3339
    std::string paired_at;     // "" until both mails are in
    std::string sla_due_date;  // JST date, "" until paired
    bool overdue = false;
    bool closed = false;
    std::vector<std::string> reasons;
    std::vector<std::string> warnings;
    std::vector<std::string> possible_duplicate_of;  // see ApplicationRecord
    StreamVersion version;
};

// One entry as a JSON object (the API's and `kakitome queue --json`'s form).
std::string queue_entry_to_json(const QueueEntry& entry);

class QueueProjection : public Projection {
  public:
    explicit QueueProjection(const workflow::WorkflowConfig& config) : config_(config) {}
    std::string name() const override { return "queue"; }
    // 2: records carry the usage channels (FormParsed schema 2).
    // 3: rows carry the form's application date and consent, and the decision version.
    // 4: records carry the legal hold, the time of the last decision and the mails in flight.
    int row_format() const override { return 4; }
    Status apply(const RecordedEvent& event, ChangedRows& changed) override;
    std::vector<std::string> keys() const override;
    std::optional<std::string> row(const std::string& key) const override;
    bool load_row(const std::string& key, const std::string& bytes) override;
    void forget_row(const std::string& key) override { records_.erase(key); }

    std::vector<QueueEntry> entries(std::int64_t now_ms) const;
    const workflow::ApplicationRecord* record(const std::string& application) const;
    // Each application's record, in the order of their identifiers.
    void for_each_record(
        const std::function<void(const workflow::ApplicationRecord&)>& visit) const;
    std::string to_json(std::int64_t now_ms) const;
    std::string to_text(std::int64_t now_ms) const;

  private:
    const workflow::WorkflowConfig& config_;
    std::map<std::string, workflow::ApplicationRecord, std::less<>> records_;
};

}  // namespace kakitome
