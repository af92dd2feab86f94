#include "projections/application_queue.h"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace kakitome {

namespace {

const std::string kPrefix = "application-";

bool is_open(const std::string& state) {
    return state != "rejected" && state != "withdrawn" && state != "expired" && state != "downloaded";
}

}  // namespace

void ApplicationQueue::apply(const RecordedEvent& event) {
    if (event.seq <= position_) return;
    position_ = event.seq;
    if (event.stream.rfind(kPrefix, 0) != 0) return;
    QueueRow& row = rows_[event.stream.substr(kPrefix.size())];
    row.application = event.stream.substr(kPrefix.size());
    if (row.received_at.empty()) row.received_at = event.at;
    const auto payload = nlohmann::json::parse(event.payload_json, nullptr, false);
    if (event.type == "FormMailReceived") {
        row.state = "awaiting_password";
        if (payload.contains("warnings")) {
            for (const auto& warning : payload["warnings"]) row.warnings.push_back(warning);
        }
    } else if (event.type == "PasswordRejected") {
        row.state = "password_mismatch";
    } else if (event.type == "MailsPaired") {
        row.state = "password_received";
        row.paired_at = event.at;
    } else if (event.type == "FormDecrypted") {
        row.state = "decrypted";
    } else if (event.type == "ApplicationValidated") {
        row.state = "validated";
    } else if (event.type == "ApplicationRejected") {
        row.state = "rejected";
        if (payload.contains("codes")) row.reasons = payload["codes"].get<std::vector<std::string>>();
    }
}

std::vector<QueueRow> ApplicationQueue::rows() const {
    std::vector<QueueRow> rows;
    for (const auto& [id, row] : rows_) rows.push_back(row);
    std::stable_sort(rows.begin(), rows.end(), [](const QueueRow& a, const QueueRow& b) {
        if (is_open(a.state) != is_open(b.state)) return is_open(a.state);
        return std::tie(a.received_at, a.application) < std::tie(b.received_at, b.application);
    });
    return rows;
}

std::string ApplicationQueue::to_json() const {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& row : rows()) {
        out.push_back({{"application", row.application}, {"state", row.state}, {"received_at", row.received_at},
                       {"paired_at", row.paired_at}, {"reasons", row.reasons}, {"warnings", row.warnings}});
    }
    return out.dump();
}

std::string ApplicationQueue::to_text() const {
    std::string out = "application           state               received                  paired                    reasons\n";
    for (const auto& row : rows()) {
        char line[512];
        std::string reasons;
        for (const auto& reason : row.reasons) reasons += (reasons.empty() ? "" : ",") + reason;
        std::snprintf(line, sizeof line, "%-21s %-19s %-25s %-25s %s\n", row.application.c_str(), row.state.c_str(),
                      row.received_at.c_str(), row.paired_at.empty() ? "-" : row.paired_at.c_str(), reasons.c_str());
        out += line;
    }
    return out;
}

}  // namespace kakitome
