// Importing access logs for an incident, side by side with the floor any importer has to pay:
// `zcat FILES | wc -l` over the same gzip files (decompressing and finding line ends). The
// benchmark writes `lines` CloudFront standard-log lines in `files` gzip files (a share of
// them requests for a registration page, the rest static files, as on the old site), times the
// baseline, then runs the shipped `kakitome incident import-access-log` on a fresh data
// directory as a responder would, and reports both rates, their ratio and the import's peak
// memory (which must not grow with the files: they are streamed).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "events/base/status.h"

namespace kakitome::bench {

struct AccessLogImportBenchmarkConfig {
    std::uint64_t lines = 1'000'000;
    unsigned files = 10;
    double page_share = 0.05;  // requests for a registration page among all lines
    std::string kakitome_binary;
    std::string scratch = "var/bench-access-log";
};

// One JSON object with every figure and the ratio.
Result<std::string> run_access_log_import_benchmark(
    const AccessLogImportBenchmarkConfig& config,
    const std::function<void(const std::string&)>& progress);

}  // namespace kakitome::bench
