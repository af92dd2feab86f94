// The PostgreSQL baseline of `kakitome bench append` is only a fair peer if it really does what
// kakitome does: one transaction per append whose version check refuses a second writer of the
// same version, and a read of every event in order. A real cluster, started and stopped by the
// code under test; and the shipped `kakitome bench append` reporting both sides.
#include "bench/postgres_baseline.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>

#include "run_command.h"

namespace kakitome::bench {
namespace {

PostgresEventInsert event(const std::string& stream, std::uint64_t version) {
    return {.stream_id = stream,
            .version = version,
            .type = "FormMailReceived",
            .data_json = R"({"message_id":"<m@example.jp>"})"};
}

TEST(PostgresBaseline, AppendChecksTheExpectedVersionAndReadsEverythingInOrder) {
    auto cluster = PostgresCluster::start();
    ASSERT_TRUE(cluster.is_ok()) << cluster.status().to_string();
    EXPECT_FALSE(cluster.value()->version().empty());
    auto table = PostgresEventTable::connect(*cluster.value());
    ASSERT_TRUE(table.is_ok()) << table.status().to_string();
    ASSERT_TRUE(table.value()->create_table().is_ok());

    ASSERT_TRUE(table.value()->append({event("a", 1)}).is_ok());
    ASSERT_TRUE(table.value()->append({event("a", 2), event("a", 3), event("a", 4)}).is_ok());
    ASSERT_TRUE(table.value()->append({event("b", 1)}).is_ok());
    // A writer that read version 1 and appends as if it were still current is refused, and
    // its whole transaction with it.
    const Status stale = table.value()->append({event("b", 2), event("a", 2)});
    EXPECT_EQ(stale.reason(), "wrong_expected_version") << stale.to_string();

    auto read = table.value()->read_all_in_order();
    ASSERT_TRUE(read.is_ok()) << read.status().to_string();
    EXPECT_EQ(read.value(), 5u);
}

TEST(PostgresBaseline, TheShippedBenchmarkReportsPostgresBesideKakitome) {
    const auto scratch = std::filesystem::temp_directory_path() /
                         ("kakitome-test-bench-" + std::to_string(::getpid()));
    int exit_code = -1;
    const std::string output = testing::run_command(
        std::string(KAKITOME_BINARY) +
            " bench append --threads 1,4 --events 2000 --mode buffered --scratch " +
            scratch.string() + " 2>/dev/null",
        &exit_code);
    std::filesystem::remove_all(scratch);
    ASSERT_EQ(exit_code, 0) << output;
    std::istringstream lines(output);
    int cases = 0;
    for (std::string line; std::getline(lines, line);) {
        const auto figures = nlohmann::json::parse(line);
        ++cases;
        EXPECT_EQ(figures.at("kakitome_events"), 2000) << line;
        EXPECT_EQ(figures.at("postgres_events"), 2000) << line;
        EXPECT_GT(figures.at("ratio_to_postgres").get<double>(), 0) << line;
        EXPECT_GT(figures.at("read_ratio_to_postgres").get<double>(), 0) << line;
    }
    EXPECT_EQ(cases, 2) << output;
}

}  // namespace
}  // namespace kakitome::bench
