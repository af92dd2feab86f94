#include "bench/append_benchmark.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "engine/domain/application_events.h"
#include "engine/domain/streams.h"
#include "events/event_store.h"
#include "events/raw_write_baseline.h"

namespace kakitome::bench {

namespace {

using Clock = std::chrono::steady_clock;

// A payload shaped like an intake event: ids and hashes, ~200 bytes.
std::string sample_payload(int thread, std::uint64_t index) {
    char buffer[256];
    std::snprintf(
        buffer, sizeof buffer,
        R"({"attachment_blob":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","message_id":"<bench-%d-%llu@intake.example.jp>","sender_key":"hmac:4f1c2a"})",
        thread, static_cast<unsigned long long>(index));
    return buffer;
}

struct SideResult {
    std::uint64_t count = 0;
    double seconds = 0;
};

// Runs `writers` threads, each calling work(thread, index) until its share is done or the
// deadline passes; returns how many calls completed and the wall time.
template <typename Work>
SideResult run_writers(int writers, std::uint64_t total, double max_seconds, Work work) {
    std::atomic<std::uint64_t> done{0};
    std::atomic<bool> failed{false};
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::duration<double>(max_seconds);
    std::vector<std::thread> threads;
    for (int t = 0; t < writers; ++t) {
        threads.emplace_back([&, t] {
            const std::uint64_t share =
                total / writers + (static_cast<std::uint64_t>(t) < total % writers);
            for (std::uint64_t i = 0; i < share; ++i) {
                if ((i & 63) == 0 && Clock::now() > deadline) break;
                if (!work(t, i)) {
                    failed = true;
                    return;
                }
                done.fetch_add(1, std::memory_order_relaxed);
            }
        });
    }
    for (auto& thread : threads) thread.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (failed) return {};
    return {done.load(), seconds};
}

Result<SideResult> bench_kakitome(const std::filesystem::path& directory, int writers,
                                  const AppendBenchmarkConfig& config) {
    auto database = Database::open({.directory = directory});
    if (!database.is_ok()) return database.status();
    auto store = EventStore::open(database.value(), {.durability = config.durability});
    if (!store.is_ok()) return store.status();
    // Each writer owns one stream and appends with the exact expected version, as a command does.
    std::vector<StreamVersion> versions(static_cast<std::size_t>(writers));
    const std::uint64_t appends = config.events / static_cast<std::uint64_t>(config.batch);
    auto result = run_writers(writers, appends, config.max_seconds, [&](int t, std::uint64_t i) {
        std::vector<NewEvent> events;
        for (int k = 0; k < config.batch; ++k) {
            events.push_back({.type = std::string(domain::FormMailReceived::kType),
                              .payload_json = sample_payload(t, i * config.batch + k)});
        }
        auto appended = store.value()->append_with_expected_version(
            domain::application_stream("bench-" + std::to_string(t)),
            versions[static_cast<std::size_t>(t)], std::move(events));
        if (!appended.is_ok()) {
            std::fprintf(stderr, "bench: %s\n", appended.status().to_string().c_str());
            return false;
        }
        versions[static_cast<std::size_t>(t)] = appended->stream_version;
        return true;
    });
    if (result.count == 0) return Status::internal("kakitome side of the benchmark failed");
    result.count *= static_cast<std::uint64_t>(config.batch);
    return result;
}

// Raw RocksDB: default column family, same DBOptions the store uses, WriteOptions.sync as the
// mode says, values as large as kakitome's stored events.
Result<SideResult> bench_rocksdb(const std::filesystem::path& directory, int writers,
                                 std::size_t value_bytes, const AppendBenchmarkConfig& config) {
    auto db = RawWriteBaseline::open(directory);
    if (!db.is_ok()) return db.status();
    const bool sync = config.durability == Durability::sync;
    const std::string value(value_bytes, 'v');
    const std::uint64_t writes = config.events / static_cast<std::uint64_t>(config.batch);
    auto result = run_writers(writers, writes, config.max_seconds, [&](int t, std::uint64_t i) {
        constexpr std::size_t kKeyBytes = 32;
        std::vector<char> buffer(static_cast<std::size_t>(config.batch) * kKeyBytes);
        std::vector<std::string_view> keys;
        for (int k = 0; k < config.batch; ++k) {
            char* key = buffer.data() + static_cast<std::size_t>(k) * kKeyBytes;
            const int length = std::snprintf(key, kKeyBytes, "%04d-%016llu", t,
                                             static_cast<unsigned long long>(i * config.batch + k));
            keys.emplace_back(key, static_cast<std::size_t>(length));
        }
        return db.value()->write(keys, value, sync);
    });
    if (result.count == 0) return Status::internal("RocksDB side of the benchmark failed");
    result.count *= static_cast<std::uint64_t>(config.batch);
    return result;
}

}  // namespace

std::string AppendBenchmarkCase::to_json() const {
    char buffer[512];
    std::snprintf(
        buffer, sizeof buffer,
        R"({"benchmark":"append","mode":"%s","threads":%d,"batch":%d,"value_bytes":%zu,"kakitome_events":%llu,"kakitome_seconds":%.3f,"kakitome_events_per_second":%.0f,"rocksdb_puts":%llu,"rocksdb_seconds":%.3f,"rocksdb_puts_per_second":%.0f,"ratio":%.3f})",
        mode.c_str(), threads, batch, value_bytes, static_cast<unsigned long long>(kakitome_events),
        kakitome_seconds, kakitome_per_second(), static_cast<unsigned long long>(rocksdb_puts),
        rocksdb_seconds, rocksdb_per_second(), kakitome_per_second() / rocksdb_per_second());
    return buffer;
}

Result<std::vector<AppendBenchmarkCase>> run_append_benchmark(
    const AppendBenchmarkConfig& config, void (*progress)(const std::string&)) {
    std::vector<AppendBenchmarkCase> cases;
    const std::string mode = config.durability == Durability::sync ? "sync" : "buffered";
    // Size of one stored record, measured from a real event so the baseline writes as much.
    const std::size_t value_bytes = 32 + 330 + sample_payload(0, 0).size();
    if (config.batch < 1) return Status::invalid_argument("batch must be at least 1");
    for (int threads : config.thread_counts) {
        if (threads < 1) return Status::invalid_argument("thread counts must be positive");
        const auto base = config.scratch / ("append-" + mode + "-" + std::to_string(threads));
        std::filesystem::remove_all(base);
        auto ours = bench_kakitome(base / "kakitome", threads, config);
        if (!ours.is_ok()) return ours.status();
        if (progress)
            progress("kakitome " + mode + " threads=" + std::to_string(threads) + " done");
        auto theirs = bench_rocksdb(base / "rocksdb", threads, value_bytes, config);
        if (!theirs.is_ok()) return theirs.status();
        if (progress) progress("rocksdb " + mode + " threads=" + std::to_string(threads) + " done");
        std::filesystem::remove_all(base);
        cases.push_back({.threads = threads,
                         .mode = mode,
                         .kakitome_events = ours->count,
                         .kakitome_seconds = ours->seconds,
                         .rocksdb_puts = theirs->count,
                         .rocksdb_seconds = theirs->seconds,
                         .value_bytes = value_bytes,
                         .batch = config.batch});
    }
    return cases;
}

}  // namespace kakitome::bench
