#include "bench/shapes_benchmark.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/domain/application_events.h"
#include "engine/domain/streams.h"
#include "events/event_store.h"

namespace kakitome::bench {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::ordered_json;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// The nearest-rank quantile of sorted values (0 for none).
double quantile_of_sorted(const std::vector<double>& sorted, double quantile) {
    if (sorted.empty()) return 0.0;
    const double rank = std::ceil(quantile * static_cast<double>(sorted.size()));
    return sorted[static_cast<std::size_t>(
                      std::clamp(rank, 1.0, static_cast<double>(sorted.size()))) -
                  1];
}

// What each of `writers` appends of `total` (the remainder is dropped, so every writer does the
// same), and so what all of them append together: writers × share.
std::uint64_t share_of(std::uint64_t total, int writers) {
    return total / static_cast<std::uint64_t>(writers);
}

// Per-append latencies of all writers, in microseconds.
class Latencies {
  public:
    void merge(std::vector<double>& mine) {
        std::lock_guard lock(mutex_);
        all_.insert(all_.end(), mine.begin(), mine.end());
    }
    void write_to(ordered_json& out) {
        std::sort(all_.begin(), all_.end());
        out["p50_ms"] = quantile_of_sorted(all_, 0.50) / 1000.0;
        out["p99_ms"] = quantile_of_sorted(all_, 0.99) / 1000.0;
        out["p999_ms"] = quantile_of_sorted(all_, 0.999) / 1000.0;
        out["max_ms"] = quantile_of_sorted(all_, 1.0) / 1000.0;
    }

  private:
    std::mutex mutex_;
    std::vector<double> all_;
};

double micros_since(Clock::time_point start) {
    return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

NewEvent sample_event(std::uint64_t index) {
    return {
        .type = std::string(domain::FormMailReceived::kType),
        .payload_json =
            R"({"attachment_blob":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","message_id":"<shape-)" +
            std::to_string(index) + R"(@intake.example.jp>","sender_key":"hmac:4f1c2a"})"};
}

struct FreshStore {
    std::shared_ptr<Database> database;
    std::unique_ptr<EventStore> store;
};

Result<FreshStore> open_fresh(const std::filesystem::path& directory, Durability durability) {
    std::filesystem::remove_all(directory);
    auto database = Database::open({.directory = directory});
    if (!database.is_ok()) return database.status();
    auto store = EventStore::open(database.value(), {.durability = durability});
    if (!store.is_ok()) return store.status();
    return FreshStore{database.value(), std::move(store).value()};
}

std::string mode_name(Durability durability) {
    return durability == Durability::sync ? "sync" : "buffered";
}

// Runs `writers` threads of work(thread) and joins them; the first error any returns wins.
Status run_threads(int writers, const std::function<Status(int)>& work) {
    std::mutex mutex;
    Status first;
    std::vector<std::thread> threads;
    for (int t = 0; t < writers; ++t) {
        threads.emplace_back([&, t] {
            Status status = work(t);
            std::lock_guard lock(mutex);
            if (first.is_ok() && !status.is_ok()) first = status;
        });
    }
    for (auto& thread : threads) thread.join();
    return first;
}

Result<std::string> small_streams(const ShapesBenchmarkConfig& config) {
    auto fresh = open_fresh(config.scratch / "small-streams", config.durability);
    if (!fresh.is_ok()) return fresh.status();
    EventStore& store = *fresh->store;
    Latencies latencies;
    const auto started = Clock::now();
    // Round by round: every stream gets its first event, then its second, …, so appends keep
    // moving between streams as many independent applications do.
    const Status ran = run_threads(config.writers, [&](int t) -> Status {
        std::vector<double> mine;
        for (int round = 0; round < config.events_per_stream; ++round) {
            for (std::uint64_t s = static_cast<std::uint64_t>(t); s < config.streams;
                 s += static_cast<std::uint64_t>(config.writers)) {
                const auto begin = Clock::now();
                auto appended = store.append(
                    domain::application_stream("shape-" + std::to_string(s)),
                    ExpectedVersion::exact(StreamVersion{static_cast<std::uint64_t>(round)}),
                    {sample_event(s)});
                if (!appended.is_ok()) return appended.status();
                mine.push_back(micros_since(begin));
            }
        }
        latencies.merge(mine);
        return Status::ok();
    });
    KAKITOME_RETURN_IF_ERROR(ran);
    const double seconds = seconds_since(started);
    const std::uint64_t events =
        config.streams * static_cast<std::uint64_t>(config.events_per_stream);
    ordered_json out = {{"benchmark", "shapes"},
                        {"shape", "small_streams"},
                        {"mode", mode_name(config.durability)},
                        {"writers", config.writers},
                        {"streams", config.streams},
                        {"events", events},
                        {"events_per_second", static_cast<double>(events) / seconds}};
    latencies.write_to(out);
    fresh->store.reset();
    std::filesystem::remove_all(config.scratch / "small-streams");
    return out.dump();
}

Result<std::string> zipf_conflicts(const ShapesBenchmarkConfig& config) {
    auto fresh = open_fresh(config.scratch / "zipf", config.durability);
    if (!fresh.is_ok()) return fresh.status();
    EventStore& store = *fresh->store;
    // The Zipf distribution over the hot streams: P(k) proportional to 1 / k^s.
    std::vector<double> cumulative(config.hot_streams);
    double sum = 0;
    for (std::uint64_t k = 0; k < config.hot_streams; ++k) {
        sum += 1.0 / std::pow(static_cast<double>(k + 1), config.zipf_exponent);
        cumulative[k] = sum;
    }
    std::atomic<std::uint64_t> attempts{0}, conflicts{0};
    Latencies latencies;
    const auto started = Clock::now();
    const Status ran = run_threads(config.writers, [&](int t) -> Status {
        std::mt19937_64 random(static_cast<std::uint64_t>(t) + 1);
        std::uniform_real_distribution<double> uniform(0, sum);
        std::vector<double> mine;
        const std::uint64_t share = share_of(config.conflict_appends, config.writers);
        for (std::uint64_t i = 0; i < share; ++i) {
            const auto k = static_cast<std::uint64_t>(
                std::lower_bound(cumulative.begin(), cumulative.end(), uniform(random)) -
                cumulative.begin());
            const std::string stream = domain::application_stream("hot-" + std::to_string(k));
            const auto begin = Clock::now();
            // Read the version, decide, append with it; a conflict reads again and retries, as a
            // command handler does.
            for (;;) {
                auto last = store.read_stream_backward(stream, StreamVersion{0}, 1);
                if (!last.is_ok()) return last.status();
                const StreamVersion version =
                    last->empty() ? StreamVersion{0} : last->front().version;
                attempts.fetch_add(1, std::memory_order_relaxed);
                auto appended =
                    store.append(stream, ExpectedVersion::exact(version), {sample_event(i)});
                if (appended.is_ok()) break;
                if (appended.status().code() != StatusCode::conflict) return appended.status();
                conflicts.fetch_add(1, std::memory_order_relaxed);
            }
            mine.push_back(micros_since(begin));
        }
        latencies.merge(mine);
        return Status::ok();
    });
    KAKITOME_RETURN_IF_ERROR(ran);
    const double seconds = seconds_since(started);
    const std::uint64_t appended = share_of(config.conflict_appends, config.writers) *
                                   static_cast<std::uint64_t>(config.writers);
    ordered_json out = {{"benchmark", "shapes"},
                        {"shape", "zipf_conflicts"},
                        {"mode", mode_name(config.durability)},
                        {"writers", config.writers},
                        {"hot_streams", config.hot_streams},
                        {"zipf_exponent", config.zipf_exponent},
                        {"events", appended},
                        {"events_per_second", static_cast<double>(appended) / seconds},
                        {"attempts", attempts.load()},
                        {"conflicts", conflicts.load()},
                        {"conflict_rate", static_cast<double>(conflicts.load()) /
                                              static_cast<double>(attempts.load())}};
    latencies.write_to(out);
    fresh->store.reset();
    std::filesystem::remove_all(config.scratch / "zipf");
    return out.dump();
}

Result<std::string> subscribers(const ShapesBenchmarkConfig& config) {
    auto fresh = open_fresh(config.scratch / "subscribers", config.durability);
    if (!fresh.is_ok()) return fresh.status();
    EventStore& store = *fresh->store;
    std::vector<std::atomic<std::uint64_t>> positions(static_cast<std::size_t>(config.subscribers));
    std::atomic<bool> writing{true};
    std::atomic<bool> failed{false};
    // Subscribers: wait for the head to move, read what is new a page at a time.
    std::vector<std::thread> followers;
    for (int s = 0; s < config.subscribers; ++s) {
        followers.emplace_back([&, s] {
            auto& position = positions[static_cast<std::size_t>(s)];
            while (!failed) {
                const std::uint64_t at = position.load();
                if (!writing && at >= store.head().value) return;
                if (!store.wait_for_head_beyond(Seq{at}, std::chrono::milliseconds(50))) continue;
                auto page = store.read_all(Seq{at + 1}, 1000);
                if (!page.is_ok()) {
                    failed = true;
                    return;
                }
                if (!page->empty()) position = page->back().seq.value;
            }
        });
    }
    // The sampler: every 5 ms, how far each subscriber is behind the head.
    std::vector<double> lags;
    std::thread sampler([&] {
        while (writing) {
            const std::uint64_t head = store.head().value;
            for (const auto& position : positions) {
                const std::uint64_t at = position.load();
                lags.push_back(static_cast<double>(head > at ? head - at : 0));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    });
    Latencies latencies;
    const auto started = Clock::now();
    const Status ran = run_threads(config.writers, [&](int t) -> Status {
        std::vector<double> mine;
        const std::uint64_t share = share_of(config.subscribed_events, config.writers);
        const std::string stream = domain::application_stream("writer-" + std::to_string(t));
        for (std::uint64_t i = 0; i < share; ++i) {
            const auto begin = Clock::now();
            auto appended =
                store.append(stream, ExpectedVersion::exact(StreamVersion{i}), {sample_event(i)});
            if (!appended.is_ok()) return appended.status();
            mine.push_back(micros_since(begin));
        }
        latencies.merge(mine);
        return Status::ok();
    });
    const double seconds = seconds_since(started);
    writing = false;
    sampler.join();
    const auto stopped = Clock::now();
    if (!ran.is_ok()) failed = true;
    for (auto& follower : followers) follower.join();
    const double drain_ms = seconds_since(stopped) * 1000;
    KAKITOME_RETURN_IF_ERROR(ran);
    if (failed) return Status::internal("a subscriber could not read the log");
    const std::uint64_t appended = share_of(config.subscribed_events, config.writers) *
                                   static_cast<std::uint64_t>(config.writers);
    std::sort(lags.begin(), lags.end());
    ordered_json out = {{"benchmark", "shapes"},
                        {"shape", "subscribers"},
                        {"mode", mode_name(config.durability)},
                        {"writers", config.writers},
                        {"subscribers", config.subscribers},
                        {"events", appended},
                        {"events_per_second", static_cast<double>(appended) / seconds},
                        {"lag_p50_events", quantile_of_sorted(lags, 0.5)},
                        {"lag_p99_events", quantile_of_sorted(lags, 0.99)},
                        {"lag_max_events", quantile_of_sorted(lags, 1.0)},
                        {"drain_after_writers_stop_ms", drain_ms}};
    latencies.write_to(out);
    fresh->store.reset();
    std::filesystem::remove_all(config.scratch / "subscribers");
    return out.dump();
}

}  // namespace

Result<std::vector<std::string>> run_shapes_benchmark(
    const ShapesBenchmarkConfig& config, const std::function<void(const std::string&)>& progress) {
    if (config.writers < 1 || config.streams == 0 || config.events_per_stream < 1 ||
        config.hot_streams == 0 || config.subscribers < 0 ||
        config.conflict_appends < static_cast<std::uint64_t>(config.writers) ||
        config.subscribed_events < static_cast<std::uint64_t>(config.writers))
        return Status::invalid_argument("every count must be positive (and at least the writers)");
    std::vector<std::string> lines;
    progress("small_streams: " + std::to_string(config.streams) + " streams");
    auto small = small_streams(config);
    if (!small.is_ok()) return small.status();
    lines.push_back(small.value());
    progress("zipf_conflicts: " + std::to_string(config.hot_streams) + " streams");
    auto zipf = zipf_conflicts(config);
    if (!zipf.is_ok()) return zipf.status();
    lines.push_back(zipf.value());
    progress("subscribers: " + std::to_string(config.subscribers) + " following");
    auto followed = subscribers(config);
    if (!followed.is_ok()) return followed.status();
    lines.push_back(followed.value());
    std::filesystem::remove_all(config.scratch);
    return lines;
}

}  // namespace kakitome::bench
