// `kakitome bench shapes` reports what it did: every small stream gets its events, every
// conflicting attempt is counted and retried until the appends it owes are in, and subscribers
// follow the log to its head before the figures are reported.
#include "bench/shapes_benchmark.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

namespace kakitome::bench {
namespace {

TEST(ShapesBenchmark, ReportsEveryShapeWithCountsThatAddUp) {
    ShapesBenchmarkConfig config;
    config.durability = Durability::buffered;
    config.writers = 4;
    config.streams = 300;
    config.events_per_stream = 3;
    config.hot_streams = 2;  // four writers on two streams: conflicts are likely, not certain
    config.conflict_appends = 400;
    config.subscribers = 2;
    config.subscribed_events = 800;
    config.scratch = std::filesystem::temp_directory_path() /
                     ("kakitome-test-shapes-" + std::to_string(::getpid()));
    std::vector<std::string> progress;
    auto lines =
        run_shapes_benchmark(config, [&](const std::string& line) { progress.push_back(line); });
    ASSERT_TRUE(lines.is_ok()) << lines.status().to_string();
    ASSERT_EQ(lines->size(), 3u);
    EXPECT_EQ(progress.size(), 3u);
    EXPECT_FALSE(std::filesystem::exists(config.scratch));

    const auto small = nlohmann::json::parse(lines->at(0));
    EXPECT_EQ(small.at("shape"), "small_streams");
    EXPECT_EQ(small.at("events"), 900);
    EXPECT_LE(small.at("p50_ms").get<double>(), small.at("p99_ms").get<double>());
    EXPECT_LE(small.at("p99_ms").get<double>(), small.at("p999_ms").get<double>());

    const auto zipf = nlohmann::json::parse(lines->at(1));
    EXPECT_EQ(zipf.at("shape"), "zipf_conflicts");
    EXPECT_EQ(zipf.at("events"), 400);
    EXPECT_EQ(zipf.at("attempts").get<std::uint64_t>(),
              400 + zipf.at("conflicts").get<std::uint64_t>());

    const auto followed = nlohmann::json::parse(lines->at(2));
    EXPECT_EQ(followed.at("shape"), "subscribers");
    EXPECT_EQ(followed.at("events"), 800);
    EXPECT_GE(followed.at("lag_max_events").get<double>(),
              followed.at("lag_p50_events").get<double>());
}

TEST(ShapesBenchmark, RefusesCountsThatCannotRun) {
    ShapesBenchmarkConfig config;
    config.writers = 8;
    config.conflict_appends = 4;  // fewer than the writers
    auto lines = run_shapes_benchmark(config, [](const std::string&) {});
    EXPECT_EQ(lines.status().code(), StatusCode::invalid_argument);
}

}  // namespace
}  // namespace kakitome::bench
