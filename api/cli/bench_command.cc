// kakitome bench append [--threads 1,8,32] [--mode sync|buffered] [--events N] [--batch N]
//                       [--max-seconds S]
//                       [--scratch DIR]
// Prints one JSON line per case to stdout, progress to stderr.
#include <cstdio>
#include <sstream>

#include "api/cli/arguments.h"
#include "api/cli/commands.h"
#include "bench/append_benchmark.h"

namespace kakitome::cli {

namespace {

void print_progress(const std::string& line) { std::fprintf(stderr, "bench: %s\n", line.c_str()); }

int run_append(const Words& words) {
    auto arguments =
        Arguments::parse(words, {"threads", "mode", "events", "batch", "max-seconds", "scratch"}, {});
    bench::AppendBenchmarkConfig config;
    bool valid = arguments.is_ok() && arguments->positionals().empty();
    if (valid) {
        try {
            config.thread_counts.clear();
            std::stringstream list(arguments->value_or("threads", "1,8,32"));
            for (std::string item; std::getline(list, item, ',');) {
                config.thread_counts.push_back(std::stoi(item));
            }
            config.events = std::stoull(arguments->value_or("events", "200000"));
            config.batch = std::stoi(arguments->value_or("batch", "1"));
            config.max_seconds = std::stod(arguments->value_or("max-seconds", "30"));
        } catch (const std::exception&) {
            valid = false;
        }
        const std::string mode = arguments->value_or("mode", "buffered");
        if (mode == "sync") {
            config.durability = Durability::sync;
        } else if (mode != "buffered") {
            valid = false;
        }
        config.scratch = arguments->value_or("scratch", "var/bench");
    }
    if (!valid || config.thread_counts.empty() || config.events == 0) {
        std::fprintf(stderr,
                     "usage: kakitome bench append [--threads 1,8,32] [--mode sync|buffered] "
                     "[--events N] [--batch N] [--max-seconds S] [--scratch DIR]\n");
        return kExitBadInput;
    }
    auto cases = bench::run_append_benchmark(config, print_progress);
    if (!cases.is_ok()) {
        std::fprintf(stderr, "kakitome bench: %s\n", cases.status().to_string().c_str());
        return kExitStoreError;
    }
    for (const auto& result : cases.value()) std::printf("%s\n", result.to_json().c_str());
    return kExitOk;
}

}  // namespace

int run_bench(const Words& words) {
    if (!words.empty() && words[0] == "append") return run_append(Words(words.begin() + 1, words.end()));
    std::fprintf(stderr, "usage: kakitome bench append ...\n");
    return kExitBadInput;
}

}  // namespace kakitome::cli
