// `kakitome bench incident`: the incident responder's questions on a large log. Builds a store
// of N events, half of them PiiDisclosed (over A applications, P principals, D days), then
// measures: disclosure-index catch-up, who-saw of one application, the review of a one-day
// window, a full replay (queue projection rebuilt from seq 1 with chain verification), the
// ledger's tree extension and one inclusion proof. Baseline in the same run: a bare RocksDB
// iteration over the same events (the floor any replay pays).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "events/base/status.h"

namespace kakitome::bench {

struct IncidentBenchmarkConfig {
    std::uint64_t events = 1'000'000;
    std::uint64_t applications = 20'000;
    std::uint64_t principals = 500;
    int days = 30;
    std::string scratch = "var/bench-incident";
    bool keep = false;  // leave the store in `scratch` (to measure serve's start-up on it)
};

// One JSON object with every figure.
Result<std::string> run_incident_benchmark(const IncidentBenchmarkConfig& config,
                                           const std::function<void(const std::string&)>& progress);

}  // namespace kakitome::bench
