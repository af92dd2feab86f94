#include "bench/append_benchmark.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "engine/domain/application_events.h"
#include "engine/domain/streams.h"
#include "events/event_store.h"
#include "events/raw_write_baseline.h"
#include "events/verified_pages.h"

#include <nlohmann/json.hpp>

#include "bench/postgres_baseline.h"
#include "bench/writer_threads.h"

namespace kakitome::bench {

namespace {

using Clock = std::chrono::steady_clock;

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
    // The catch-up read, on a settled tree (PostgreSQL's side reads a table it just wrote, from
    // its shared buffers).
    KAKITOME_RETURN_IF_ERROR(database.value()->compact_everything());
    const auto started = Clock::now();
    KAKITOME_RETURN_IF_ERROR(for_each_verified_page(*store.value(), Seq{1}, Seq{0}, Sha256Digest{},
                                                    [&](const std::vector<RecordedEvent>& page) {
                                                        result.read_count += page.size();
                                                        return Status::ok();
                                                    }));
    result.read_seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return result;
}

// PostgreSQL: one connection per writer, each writer one stream, every append one transaction
// whose rows carry the next versions, so the unique (stream_id, version) is the expected-version
// check; durable commits in sync mode, synchronous_commit off in buffered mode. Then a catch-up
// read of the whole table in seq order.
Result<SideResult> bench_postgres(const PostgresCluster& cluster, int writers,
                                  const AppendBenchmarkConfig& config) {
    std::vector<std::unique_ptr<PostgresEventTable>> connections;
    for (int t = 0; t < writers; ++t) {
        auto connection =
            PostgresEventTable::connect(cluster, config.durability == Durability::sync);
        if (!connection.is_ok()) return connection.status();
        connections.push_back(std::move(connection).value());
    }
    KAKITOME_RETURN_IF_ERROR(connections.front()->create_table());
    std::vector<std::uint64_t> versions(static_cast<std::size_t>(writers), 0);
    const std::uint64_t appends = config.events / static_cast<std::uint64_t>(config.batch);
    const std::string type(domain::FormMailReceived::kType);
    auto result = run_writers(writers, appends, config.max_seconds, [&](int t, std::uint64_t i) {
        std::vector<PostgresEventInsert> events;
        auto& version = versions[static_cast<std::size_t>(t)];
        for (int k = 0; k < config.batch; ++k) {
            events.push_back({.stream_id = "application-bench-" + std::to_string(t),
                              .version = version + 1 + static_cast<std::uint64_t>(k),
                              .type = type,
                              .data_json = sample_payload(t, i * config.batch + k)});
        }
        auto appended = connections[static_cast<std::size_t>(t)]->append(events);
        if (!appended.is_ok()) {
            std::fprintf(stderr, "bench: %s\n", appended.to_string().c_str());
            return false;
        }
        version += static_cast<std::uint64_t>(config.batch);
        return true;
    });
    if (result.count == 0) return Status::internal("PostgreSQL side of the benchmark failed");
    result.count *= static_cast<std::uint64_t>(config.batch);
    const auto started = Clock::now();
    auto read = connections.front()->read_all_in_order();
    if (!read.is_ok()) return read.status();
    result.read_count = read.value();
    result.read_seconds = std::chrono::duration<double>(Clock::now() - started).count();
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
    nlohmann::ordered_json out = {
        {"benchmark", "append"},
        {"mode", mode},
        {"threads", threads},
        {"batch", batch},
        {"value_bytes", value_bytes},
        {"kakitome_events", kakitome_events},
        {"kakitome_seconds", kakitome_seconds},
        {"kakitome_events_per_second", kakitome_per_second()},
        {"rocksdb_puts", rocksdb_puts},
        {"rocksdb_seconds", rocksdb_seconds},
        {"rocksdb_puts_per_second", rocksdb_per_second()},
        {"ratio", kakitome_per_second() / rocksdb_per_second()},
        {"kakitome_read_events_per_second",
         static_cast<double>(kakitome_read_events) / kakitome_read_seconds}};
    if (!postgres_skipped.empty()) {
        out["postgres"] = "skipped: " + postgres_skipped;
    } else {
        const double postgres_rate = static_cast<double>(postgres_events) / postgres_seconds;
        const double postgres_read_rate =
            static_cast<double>(postgres_read_events) / postgres_read_seconds;
        out["postgres_events"] = postgres_events;
        out["postgres_events_per_second"] = postgres_rate;
        out["ratio_to_postgres"] = kakitome_per_second() / postgres_rate;
        out["postgres_read_events_per_second"] = postgres_read_rate;
        out["read_ratio_to_postgres"] =
            static_cast<double>(kakitome_read_events) / kakitome_read_seconds / postgres_read_rate;
    }
    return out.dump();
}

Result<std::vector<AppendBenchmarkCase>> run_append_benchmark(
    const AppendBenchmarkConfig& config, void (*progress)(const std::string&)) {
    std::vector<AppendBenchmarkCase> cases;
    const std::string mode = config.durability == Durability::sync ? "sync" : "buffered";
    // Size of one stored record, measured from a real event so the baseline writes as much.
    const std::size_t value_bytes = 32 + 330 + sample_payload(0, 0).size();
    if (config.batch < 1) return Status::invalid_argument("batch must be at least 1");
    std::unique_ptr<PostgresCluster> postgres;
    std::string postgres_skipped = "not asked for (--no-postgres)";
    if (config.postgres) {
        if (progress) progress("starting a temporary PostgreSQL cluster");
        auto started = PostgresCluster::start();
        if (started.is_ok()) {
            postgres = std::move(started).value();
            postgres_skipped.clear();
            if (progress) progress("PostgreSQL " + postgres->version() + " is up");
        } else {
            postgres_skipped = started.status().message();
            if (progress) progress("PostgreSQL baseline skipped: " + postgres_skipped);
        }
    }
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
        AppendBenchmarkCase result{.threads = threads,
                                   .mode = mode,
                                   .kakitome_events = ours->count,
                                   .kakitome_seconds = ours->seconds,
                                   .rocksdb_puts = theirs->count,
                                   .rocksdb_seconds = theirs->seconds,
                                   .value_bytes = value_bytes,
                                   .batch = config.batch,
                                   .kakitome_read_events = ours->read_count,
                                   .kakitome_read_seconds = ours->read_seconds,
                                   .postgres_skipped = postgres_skipped};
        if (postgres) {
            auto peer = bench_postgres(*postgres, threads, config);
            if (!peer.is_ok()) return peer.status();
            if (progress)
                progress("postgres " + mode + " threads=" + std::to_string(threads) + " done");
            result.postgres_events = peer->count;
            result.postgres_seconds = peer->seconds;
            result.postgres_read_events = peer->read_count;
            result.postgres_read_seconds = peer->read_seconds;
        }
        cases.push_back(std::move(result));
    }
    return cases;
}

}  // namespace kakitome::bench
