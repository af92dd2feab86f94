#include "projections/incident_list.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "engine/domain/domain_event.h"
#include "engine/domain/incident_events.h"
#include "engine/domain/streams.h"

namespace kakitome {

using nlohmann::json;

Status IncidentListProjection::apply(const RecordedEvent& event, ChangedRows& changed) {
    if (!domain::is<domain::IncidentReported>(event)) return Status::ok();
    const std::string prefix = domain::incident_stream("");
    if (!event.stream.starts_with(prefix)) return Status::ok();
    const std::string incident = event.stream.substr(prefix.size());
    reported_at_[incident] = event.at;
    changed.insert(incident);
    return Status::ok();
}

std::vector<std::string> IncidentListProjection::keys() const {
    std::vector<std::string> keys;
    for (const auto& [incident, at] : reported_at_) keys.push_back(incident);
    return keys;
}

std::optional<std::string> IncidentListProjection::row(const std::string& key) const {
    auto found = reported_at_.find(key);
    if (found == reported_at_.end()) return std::nullopt;
    return json{{"reported_at", found->second}}.dump();
}

bool IncidentListProjection::load_row(const std::string& key, const std::string& bytes) {
    const auto in = json::parse(bytes, nullptr, false);
    if (!in.is_object() || !in.contains("reported_at") || !in["reported_at"].is_string())
        return false;
    reported_at_[key] = in["reported_at"];
    return true;
}

std::vector<std::string> IncidentListProjection::newest_first() const {
    std::vector<std::pair<std::string, std::string>> by_time;
    for (const auto& [incident, at] : reported_at_) by_time.emplace_back(at, incident);
    std::sort(by_time.begin(), by_time.end(), std::greater<>());
    std::vector<std::string> ids;
    for (const auto& [at, incident] : by_time) ids.push_back(incident);
    return ids;
}

}  // namespace kakitome
