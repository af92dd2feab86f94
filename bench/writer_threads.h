// The writer threads of the append benchmarks (append_benchmark.h,
// replicated_append_benchmark.h): `writers` threads each doing its share of `total` calls until
// the deadline, and the intake-shaped payload every side appends, so that every side of every
// case does the same work.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace kakitome::bench {

// A payload shaped like an intake event: ids and hashes, ~200 bytes.
inline std::string sample_payload(int thread, std::uint64_t index) {
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
    std::uint64_t read_count = 0;  // the catch-up read afterwards, where the side has one
    double read_seconds = 0;
};

// Runs `writers` threads, each calling work(thread, index) until its share is done or the
// deadline passes; returns how many calls completed and the wall time (count 0 when any call
// failed).
template <typename Work>
SideResult run_writers(int writers, std::uint64_t total, double max_seconds, Work work) {
    using Clock = std::chrono::steady_clock;
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
    return {.count = done.load(), .seconds = seconds};
}

}  // namespace kakitome::bench
