// The append benchmark: kakitome's EventStore against two baselines measured in the same run, so
// the ratios are meaningful on any machine: raw RocksDB Put with the same options, writer count
// and value size (the floor), and PostgreSQL as an event store (the peer users would pick; one
// transaction per append with the expected-version check, postgres_baseline.h). Each case runs
// on fresh temporary directories and a fresh table, then reads back everything it appended.
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
    bool postgres = true;           // measure PostgreSQL too (postgres_baseline.h)
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
    // A catch-up read of everything the case appended: kakitome's verified pages (hash chain
    // checked, events decoded), PostgreSQL's COPY of the table in seq order.
    std::uint64_t kakitome_read_events = 0;
    double kakitome_read_seconds = 0;
    // PostgreSQL: why it was skipped, or its figures.
    std::string postgres_skipped;
    std::uint64_t postgres_events = 0;
    double postgres_seconds = 0;
    std::uint64_t postgres_read_events = 0;
    double postgres_read_seconds = 0;

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
