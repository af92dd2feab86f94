// kakitome bench append [--threads 1,8,32] [--mode sync|buffered|replicated] [--events N] [--batch
// N]
//                       [--max-seconds S]
//                       [--scratch DIR]
// kakitome bench import-access-log [--lines N] [--files N] [--page-share F] [--scratch DIR]
// Prints one JSON line per case to stdout, progress to stderr.
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

#include "api/cli/arguments.h"
#include "api/cli/commands.h"
#include "api/cli/store_access.h"
#include "bench/access_log_import_benchmark.h"
#include "bench/append_benchmark.h"
#include "bench/canonical_json_benchmark.h"
#include "bench/decrypt_benchmark.h"
#include "bench/incident_benchmark.h"
#include "bench/intake_benchmark.h"
#include "bench/queue_seed.h"
#include "bench/replicated_append_benchmark.h"
#include "bench/shapes_benchmark.h"

namespace kakitome::cli {

namespace {

void print_progress(const std::string& line) {
    std::fprintf(stderr, "bench: %s\n", line.c_str());
}

int run_incident_benchmark(const Words& words) {
    auto arguments = Arguments::parse(
        words, {"events", "applications", "principals", "days", "scratch"}, {"keep"});
    bench::IncidentBenchmarkConfig config;
    bool valid = arguments.is_ok() && arguments->positionals().empty();
    if (valid) {
        try {
            config.events = std::stoull(arguments->value_or("events", "1000000"));
            config.applications = std::stoull(arguments->value_or("applications", "20000"));
            config.principals = std::stoull(arguments->value_or("principals", "500"));
            config.days = std::stoi(arguments->value_or("days", "30"));
            config.scratch = arguments->value_or("scratch", "var/bench-incident");
            config.keep = arguments->has("keep");
        } catch (const std::exception&) {
            valid = false;
        }
    }
    if (!valid || config.events < 1000 || config.applications == 0 || config.principals < 2 ||
        config.days < 2) {
        std::fprintf(stderr,
                     "usage: kakitome bench incident [--events N] [--applications N] [--principals "
                     "N] [--days D] [--scratch DIR] [--keep]\n");
        return kExitBadInput;
    }
    auto figures = bench::run_incident_benchmark(config, print_progress);
    if (!figures.is_ok()) {
        std::fprintf(stderr, "kakitome bench: %s\n", figures.status().to_string().c_str());
        return kExitStoreError;
    }
    std::printf("%s\n", figures.value().c_str());
    return kExitOk;
}

int run_access_log_benchmark(const Words& words) {
    auto arguments = Arguments::parse(words, {"lines", "files", "page-share", "scratch"}, {});
    bench::AccessLogImportBenchmarkConfig config;
    bool valid = arguments.is_ok() && arguments->positionals().empty();
    if (valid) {
        try {
            config.lines = std::stoull(arguments->value_or("lines", "1000000"));
            config.files = static_cast<unsigned>(std::stoul(arguments->value_or("files", "10")));
            config.page_share = std::stod(arguments->value_or("page-share", "0.05"));
            config.scratch = arguments->value_or("scratch", "var/bench-access-log");
        } catch (const std::exception&) {
            valid = false;
        }
    }
    if (!valid || config.files == 0 || config.lines < config.files || config.page_share < 0 ||
        config.page_share > 1) {
        std::fprintf(stderr,
                     "usage: kakitome bench import-access-log [--lines N] [--files N] "
                     "[--page-share 0.05] [--scratch DIR]\n");
        return kExitBadInput;
    }
    // The shipped binary itself imports, as a responder runs it.
    config.kakitome_binary = std::filesystem::read_symlink("/proc/self/exe").string();
    auto figures = bench::run_access_log_import_benchmark(config, print_progress);
    if (!figures.is_ok()) {
        std::fprintf(stderr, "kakitome bench: %s\n", figures.status().to_string().c_str());
        return kExitStoreError;
    }
    std::printf("%s\n", figures.value().c_str());
    return kExitOk;
}

int run_append_benchmark(const Words& words) {
    auto arguments = Arguments::parse(
        words, {"threads", "mode", "events", "batch", "max-seconds", "scratch"}, {"no-postgres"});
    bench::AppendBenchmarkConfig config;
    bool replicated = false;
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
        } else if (mode == "replicated") {
            replicated = true;
        } else if (mode != "buffered") {
            valid = false;
        }
        config.scratch = arguments->value_or("scratch", "var/bench");
        config.postgres = !arguments->has("no-postgres");
    }
    if (!valid || config.thread_counts.empty() || config.events == 0) {
        std::fprintf(stderr,
                     "usage: kakitome bench append [--threads 1,8,32] "
                     "[--mode sync|buffered|replicated] [--events N] [--batch N]\n"
                     "                             [--max-seconds S] [--scratch DIR] "
                     "[--no-postgres]\n");
        return kExitBadInput;
    }
    if (replicated) {
        // Beside raw JetStream publishing and the sync embedded store, on a 3-node cluster the
        // benchmark starts (docs/replication.md).
        auto cases = bench::run_replicated_append_benchmark(
            {.thread_counts = config.thread_counts,
             .events = arguments->has("events") ? config.events : 20000,
             .max_seconds = config.max_seconds,
             .scratch = config.scratch},
            print_progress);
        if (!cases.is_ok()) {
            std::fprintf(stderr, "kakitome bench: %s\n", cases.status().to_string().c_str());
            return kExitStoreError;
        }
        for (const auto& result : cases.value()) std::printf("%s\n", result.to_json().c_str());
        return kExitOk;
    }
    auto cases = bench::run_append_benchmark(config, print_progress);
    if (!cases.is_ok()) {
        std::fprintf(stderr, "kakitome bench: %s\n", cases.status().to_string().c_str());
        return kExitStoreError;
    }
    for (const auto& result : cases.value()) std::printf("%s\n", result.to_json().c_str());
    return kExitOk;
}

int run_decrypt_benchmark(const Words& words) {
    auto arguments = Arguments::parse(words, {"file", "password", "runs", "batch", "threads"},
                                      {"no-msoffcrypto"});
    bench::DecryptBenchmarkConfig config;
    bool valid = arguments.is_ok() && arguments->positionals().empty() && arguments->has("file") &&
                 arguments->has("password");
    if (valid) {
        try {
            config.file = *arguments->value("file");
            config.password = *arguments->value("password");
            config.runs = std::stoi(arguments->value_or("runs", "10"));
            config.batch = std::stoi(arguments->value_or("batch", "100"));
            config.threads = std::stoi(arguments->value_or("threads", "0"));
            config.compare_msoffcrypto = !arguments->has("no-msoffcrypto");
        } catch (const std::exception&) {
            valid = false;
        }
    }
    if (!valid || config.runs < 1 || config.batch < 1) {
        std::fprintf(
            stderr,
            "usage: kakitome bench decrypt --file F.xlsx --password P [--runs N] [--batch N] "
            "[--threads N] [--no-msoffcrypto]\n");
        return kExitBadInput;
    }
    auto result = bench::run_decrypt_benchmark(config);
    if (!result.is_ok()) {
        std::fprintf(stderr, "kakitome bench: %s\n", result.status().to_string().c_str());
        return kExitBadInput;
    }
    std::printf("%s\n", result.value().c_str());
    return kExitOk;
}

int run_shapes_benchmark(const Words& words) {
    auto arguments =
        Arguments::parse(words,
                         {"mode", "writers", "streams", "events-per-stream", "hot-streams", "zipf",
                          "conflict-appends", "subscribers", "subscribed-events", "scratch"},
                         {});
    bench::ShapesBenchmarkConfig config;
    bool valid = arguments.is_ok() && arguments->positionals().empty();
    if (valid) {
        try {
            const std::string mode = arguments->value_or("mode", "sync");
            valid = mode == "sync" || mode == "buffered";
            config.durability = mode == "sync" ? Durability::sync : Durability::buffered;
            config.writers = std::stoi(arguments->value_or("writers", "8"));
            config.streams = std::stoull(arguments->value_or("streams", "100000"));
            config.events_per_stream = std::stoi(arguments->value_or("events-per-stream", "4"));
            config.hot_streams = std::stoull(arguments->value_or("hot-streams", "1000"));
            config.zipf_exponent = std::stod(arguments->value_or("zipf", "1.1"));
            config.conflict_appends = std::stoull(arguments->value_or("conflict-appends", "50000"));
            config.subscribers = std::stoi(arguments->value_or("subscribers", "2"));
            config.subscribed_events =
                std::stoull(arguments->value_or("subscribed-events", "200000"));
            config.scratch = arguments->value_or("scratch", "var/bench-shapes");
        } catch (const std::exception&) {
            valid = false;
        }
    }
    if (!valid) {
        std::fprintf(stderr,
                     "usage: kakitome bench shapes [--mode sync|buffered] [--writers N] "
                     "[--streams N] [--events-per-stream N] [--hot-streams N] [--zipf S] "
                     "[--conflict-appends N] [--subscribers N] [--subscribed-events N] "
                     "[--scratch DIR]\n");
        return kExitBadInput;
    }
    auto lines = bench::run_shapes_benchmark(config, print_progress);
    if (!lines.is_ok()) {
        std::fprintf(stderr, "kakitome bench: %s\n", lines.status().to_string().c_str());
        return lines.status().code() == StatusCode::invalid_argument ? kExitBadInput
                                                                     : kExitStoreError;
    }
    for (const auto& line : lines.value()) std::printf("%s\n", line.c_str());
    return kExitOk;
}

}  // namespace

int run_intake_benchmark(const Words& words) {
    auto arguments = Arguments::parse(words, {"form", "scratch"}, {});
    if (!arguments.is_ok() || !arguments->positionals().empty() || !arguments->has("form")) {
        std::fprintf(stderr, "usage: kakitome bench intake --form FORM.xlsx [--scratch DIR]\n");
        return kExitBadInput;
    }
    bench::IntakeBenchmarkConfig config;
    config.form_file = *arguments->value("form");
    config.scratch = arguments->value_or("scratch", config.scratch);
    print_progress("intake: encrypting forms at spinCount 100,000, 1,000,000 and 9,999,999");
    auto figures = bench::run_intake_benchmark(config);
    if (!figures.is_ok()) {
        std::fprintf(stderr, "kakitome bench: %s\n", figures.status().to_string().c_str());
        return kExitStoreError;
    }
    std::printf("%s\n", figures.value().c_str());
    return kExitOk;
}

// kakitome bench canonical-json [--rounds N]: the payload canonicaliser's two ways.
int run_canonical_json_benchmark(const Words& words) {
    auto arguments = Arguments::parse(words, {"rounds"}, {});
    std::uint64_t rounds = 2000;
    try {
        if (arguments.is_ok()) rounds = std::stoull(arguments->value_or("rounds", "2000"));
    } catch (const std::exception&) {
        rounds = 0;
    }
    if (!arguments.is_ok() || !arguments->positionals().empty() || rounds == 0) {
        std::fprintf(stderr, "usage: kakitome bench canonical-json [--rounds N]\n");
        return kExitBadInput;
    }
    std::printf("%s\n", bench::run_canonical_json_benchmark(rounds).c_str());
    return kExitOk;
}

// kakitome bench seed-queue --data DIR --applications N: a store for bench/console_benchmark.py.
int run_seed_queue(const Words& words) {
    std::set<std::string> flags(kServiceFlags.begin(), kServiceFlags.end());
    flags.insert("applications");
    auto arguments = Arguments::parse(words, flags, {});
    if (!arguments.is_ok() || !arguments->positionals().empty() || !arguments->has("data") ||
        !arguments->has("applications")) {
        std::fprintf(stderr, "usage: kakitome bench seed-queue --data DIR --applications N\n");
        return kExitBadInput;
    }
    std::uint64_t applications = 0;
    try {
        applications = std::stoull(*arguments->value("applications"));
    } catch (const std::exception&) {
        std::fprintf(stderr, "kakitome bench seed-queue: --applications wants a number\n");
        return kExitBadInput;
    }
    auto services = open_services_or_report("bench seed-queue", arguments.value());
    if (!services) return kExitStoreError;
    if (auto seeded =
            bench::seed_queue(services->store(), services->vault(), applications, print_progress);
        !seeded.is_ok()) {
        std::fprintf(stderr, "kakitome bench seed-queue: %s\n", seeded.to_string().c_str());
        return kExitStoreError;
    }
    std::printf("{\"seeded_applications\":%llu,\"head\":%llu}\n",
                static_cast<unsigned long long>(applications),
                static_cast<unsigned long long>(services->store().head().value));
    return kExitOk;
}

int run_bench(const Words& words) {
    const Words rest = words.empty() ? Words{} : Words(words.begin() + 1, words.end());
    if (!words.empty() && words[0] == "append") return run_append_benchmark(rest);
    if (!words.empty() && words[0] == "decrypt") return run_decrypt_benchmark(rest);
    if (!words.empty() && words[0] == "incident") return run_incident_benchmark(rest);
    if (!words.empty() && words[0] == "shapes") return run_shapes_benchmark(rest);
    if (!words.empty() && words[0] == "intake") return run_intake_benchmark(rest);
    if (!words.empty() && words[0] == "canonical-json") return run_canonical_json_benchmark(rest);
    if (!words.empty() && words[0] == "seed-queue") return run_seed_queue(rest);
    if (!words.empty() && words[0] == "import-access-log") return run_access_log_benchmark(rest);
    std::fprintf(
        stderr,
        "usage: kakitome bench append|decrypt|incident|shapes|intake|canonical-json|seed-queue|"
        "import-access-log ...\n");
    return kExitBadInput;
}

}  // namespace kakitome::cli
