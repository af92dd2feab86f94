// ApplicationQueue: the secretariat's work list, folded from application events. Idempotent
// (an event at or below the position it has seen is ignored) and deterministic, so rebuilding
// from seq 1 gives the same rows. Holds no PII: rows carry ids, states, times and reason codes.
// Persisting the projection and the SLA columns arrive with the workflow issue; today it is
// rebuilt from the log on each use.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "events/event.h"

namespace kakitome {

struct QueueRow {
    std::string application;
    std::string state;
    std::string received_at;  // first mail of the application
    std::string paired_at;    // "" until both mails are in
    std::vector<std::string> reasons;  // rejection codes
    std::vector<std::string> warnings;
};

class ApplicationQueue {
public:
    void apply(const RecordedEvent& event);
    Seq position() const { return position_; }
    // Open applications first (oldest first), then closed ones.
    std::vector<QueueRow> rows() const;
    std::string to_json() const;
    std::string to_text() const;

private:
    std::map<std::string, QueueRow> rows_;
    Seq position_{0};
};

}  // namespace kakitome
