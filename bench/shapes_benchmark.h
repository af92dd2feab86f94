// `kakitome bench shapes`: the workload shapes of the open event-store benchmark
// (pyeventsourcing/eventstore-benchmarks), as users of an event store feel them, each with
// throughput and per-append latency percentiles (p50, p99, p99.9):
//   small_streams  many streams of a few events each (every append to a fresh or short stream)
//   zipf_conflicts writers that read a stream's version and append to it with that expected
//                  version, streams drawn from a Zipf distribution, so hot streams conflict;
//                  the conflict rate is reported, conflicting appends are retried
//   subscribers    writers appending while catch-up subscribers follow the whole log; the
//                  subscribers' lag behind the head (events) is sampled and reported
// Every shape runs on a fresh store in `scratch`, removed afterwards.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "events/base/status.h"
#include "events/domain_types.h"

namespace kakitome::bench {

struct ShapesBenchmarkConfig {
    Durability durability = Durability::sync;
    int writers = 8;
    std::uint64_t streams = 100'000;            // small_streams: how many streams
    int events_per_stream = 4;                  // small_streams: events in each
    std::uint64_t hot_streams = 1'000;          // zipf_conflicts: the streams drawn from
    double zipf_exponent = 1.1;                 // zipf_conflicts: s of the distribution
    std::uint64_t conflict_appends = 50'000;    // zipf_conflicts: successful appends in all
    int subscribers = 2;                        // subscribers: how many follow the log
    std::uint64_t subscribed_events = 200'000;  // subscribers: events the writers append
    std::filesystem::path scratch = "var/bench-shapes";
};

// One JSON line per shape.
Result<std::vector<std::string>> run_shapes_benchmark(
    const ShapesBenchmarkConfig& config, const std::function<void(const std::string&)>& progress);

}  // namespace kakitome::bench
