// The append benchmark: kakitome's EventStore against raw RocksDB Put with the same options,
// writer count and value size, measured in the same run so the ratio is meaningful on any
// machine. Each case runs on a fresh temporary directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "events/base/status.h"
#include "events/domain_types.h"

namespace kakitome::bench {

struct AppendBenchmarkConfig {
    std::vector<int> thread_counts{1, 8, 32};
    Durability durability = Durability::buffered;
    std::uint64_t events = 200000;  // per case, split across writers
    int batch = 1;                  // events per append (and puts per RocksDB WriteBatch)
    double max_seconds = 30;        // per side of a case; a case stops early past this
    std::filesystem::path scratch;  // temporary directories go here
};

struct AppendBenchmarkCase {
    int threads = 0;
    std::string mode;
    std::uint64_t kakitome_events = 0;
    double kakitome_seconds = 0;
    std::uint64_t rocksdb_puts = 0;
    double rocksdb_seconds = 0;
    std::size_t value_bytes = 0;
    int batch = 1;

    double kakitome_per_second() const {
        return static_cast<double>(kakitome_events) / kakitome_seconds;
    }
    double rocksdb_per_second() const {
        return static_cast<double>(rocksdb_puts) / rocksdb_seconds;
    }
    std::string to_json() const;
};

// progress() gets one line per finished side of a case.
Result<std::vector<AppendBenchmarkCase>> run_append_benchmark(
    const AppendBenchmarkConfig& config, void (*progress)(const std::string&) = nullptr);

}  // namespace kakitome::bench
