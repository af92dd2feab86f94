// The replicated append benchmark (`kakitome bench append --mode replicated`,
// docs/replication.md): kakitome appending through the replicated log against raw JetStream
// publishing measured in the same run on the same 3-node cluster (R3 streams, one synchronous
// publish with acknowledgement per message per writer, messages the size of kakitome's stored
// records), beside the sync embedded store. Then the catch-up rate: a fresh node reading the
// whole stream into its store, every record verified. The cluster is started for the run in a
// temporary directory (nats_cluster.h) and removed afterwards.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "events/base/status.h"

namespace kakitome::bench {

struct ReplicatedAppendConfig {
    std::vector<int> thread_counts{1, 8, 32};
    std::uint64_t events = 20000;   // per side of a case, split across writers
    double max_seconds = 20;        // per side of a case
    std::filesystem::path scratch;  // temporary directories go here
};

struct ReplicatedAppendCase {
    int threads = 0;
    std::size_t record_bytes = 0;  // what each raw message carries, as a stored record does
    std::uint64_t raw_messages = 0;
    double raw_seconds = 0;
    std::uint64_t replicated_events = 0;
    double replicated_seconds = 0;
    std::uint64_t embedded_events = 0;
    double embedded_seconds = 0;
    // A fresh node reading everything the replicated side appended from the stream.
    std::uint64_t catch_up_events = 0;
    double catch_up_seconds = 0;
    std::string to_json() const;
};

Result<std::vector<ReplicatedAppendCase>> run_replicated_append_benchmark(
    const ReplicatedAppendConfig& config, void (*progress)(const std::string&) = nullptr);

}  // namespace kakitome::bench
