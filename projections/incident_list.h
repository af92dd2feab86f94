// IncidentListProjection: which incidents were reported, and when — the responder's list. The
// rows are only the incident ids and their report times; what each incident holds now (scope,
// notifications, closure) is read from its own stream when listed (engine/incident
// load_incident), since incidents are few and their streams short.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "projections/projection.h"

namespace kakitome {

class IncidentListProjection : public Projection {
  public:
    std::string name() const override { return "incidents"; }
    int row_format() const override { return 1; }
    Status apply(const RecordedEvent& event, ChangedRows& changed) override;
    std::vector<std::string> keys() const override;
    std::optional<std::string> row(const std::string& key) const override;
    bool load_row(const std::string& key, const std::string& bytes) override;
    void forget_row(const std::string& key) override { reported_at_.erase(key); }
    // Incident ids, newest report first.
    std::vector<std::string> newest_first() const;

  private:
    std::map<std::string, std::string> reported_at_;  // by incident id
};

}  // namespace kakitome
