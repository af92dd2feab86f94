#include "bench/access_log_import_benchmark.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include <zlib.h>
#include <nlohmann/json.hpp>

namespace kakitome::bench {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kHeader =
    "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) "
    "cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) "
    "x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken "
    "x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version "
    "fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type "
    "sc-content-type sc-content-len sc-range-start sc-range-end\n";

constexpr const char* kMapping =
    R"({"pages": {"path": "^/register/complete$", "registration": {"query": "rid"}},)"
    R"( "cache": {"key": "path", "ttl_seconds": 60}})";

// Writes the logs; returns their uncompressed size.
Result<std::uint64_t> write_logs(const AccessLogImportBenchmarkConfig& config,
                                 const std::filesystem::path& directory,
                                 std::vector<std::string>& names) {
    std::mt19937_64 random(20250519);
    static const char* kStatic[] = {"/",          "/index.html", "/css/site.css",
                                    "/js/app.js", "/img/a.png",  "/img/b.png",
                                    "/register",  "/robots.txt", "/video/pr.mp4"};
    static const char* kResults[] = {"Hit", "Hit", "Hit", "Miss", "RefreshHit"};
    std::uint64_t bytes = 0;
    std::int64_t second = 1747612800;  // 2025-05-19T00:00:00Z
    const std::uint64_t per_file = config.lines / config.files;
    char line[1024];
    for (unsigned file = 0; file < config.files; ++file) {
        const std::string name = "E1BENCH.2025-05-19-" + std::to_string(file) + ".gz";
        names.push_back((directory / name).string());
        gzFile out = gzopen(names.back().c_str(), "wb6");
        if (out == nullptr) return Status::io_error("cannot write " + names.back());
        gzputs(out, kHeader);
        bytes += std::strlen(kHeader);
        const std::uint64_t count =
            file + 1 == config.files ? config.lines - per_file * (config.files - 1) : per_file;
        for (std::uint64_t i = 0; i < count; ++i) {
            if (random() % 8 == 0) ++second;
            const std::time_t t = second;
            std::tm utc{};
            gmtime_r(&t, &utc);
            const unsigned client = static_cast<unsigned>(random() % 400);
            const bool page =
                std::uniform_real_distribution<double>(0, 1)(random) < config.page_share;
            const std::string query =
                page ? "rid=R" + std::to_string(random() % 20000) : std::string("-");
            const int length = std::snprintf(
                line, sizeof line,
                "%04d-%02d-%02d\t%02d:%02d:%02d\tNRT57-P%u\t%u\t198.51.%u.%u\tGET\t"
                "d111111abcdef8.cloudfront.net\t%s\t200\t-\tMozilla/5.0%%20(Windows%%20NT%%2010.0;"
                "%%20Win64;%%20x64)%%20AppleWebKit/537.36%%20Chrome/124.0.%u\t%s\t-\t%s\t"
                "%016llx%016llx%016llx==\td.example.jp\thttps\t%u\t0.%03u\t-\tTLSv1.3\t"
                "TLS_AES_128_GCM_SHA256\t%s\tHTTP/2.0\t-\t-\t%u\t0.%03u\t%s\ttext/html\t%u\t-\t-\n",
                utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                utc.tm_sec, client % 4, 2000 + static_cast<unsigned>(random() % 50000),
                client / 250, client % 250, page ? "/register/complete" : kStatic[random() % 9],
                client, query.c_str(), kResults[random() % 5],
                static_cast<unsigned long long>(random()),
                static_cast<unsigned long long>(random()),
                static_cast<unsigned long long>(random()),
                300 + static_cast<unsigned>(random() % 400), static_cast<unsigned>(random() % 1000),
                kResults[random() % 5], 40000 + static_cast<unsigned>(random() % 20000),
                static_cast<unsigned>(random() % 1000), kResults[random() % 5],
                2000 + static_cast<unsigned>(random() % 50000));
            gzwrite(out, line, static_cast<unsigned>(length));
            bytes += static_cast<std::uint64_t>(length);
        }
        if (gzclose(out) != Z_OK) return Status::io_error("cannot finish " + names.back());
    }
    return bytes;
}

std::string quoted(const std::string& text) {
    return "'" + text + "'";
}

// Runs a shell command, returns its wall time in seconds, or an error when it failed.
Result<double> timed(const std::string& command) {
    const auto start = Clock::now();
    const int status = std::system(command.c_str());
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (status != 0) return Status::internal("failed: " + command);
    return seconds;
}

}  // namespace

Result<std::string> run_access_log_import_benchmark(
    const AccessLogImportBenchmarkConfig& config,
    const std::function<void(const std::string&)>& progress) {
    const std::filesystem::path scratch = config.scratch;
    std::filesystem::remove_all(scratch);
    std::filesystem::create_directories(scratch / "logs");
    progress("writing " + std::to_string(config.lines) + " CloudFront lines in " +
             std::to_string(config.files) + " gzip files");
    std::vector<std::string> names;
    auto uncompressed = write_logs(config, scratch / "logs", names);
    if (!uncompressed.is_ok()) return uncompressed.status();
    std::uint64_t compressed = 0;
    std::string files;
    for (const auto& name : names) {
        compressed += std::filesystem::file_size(name);
        files += " " + quoted(name);
    }
    const std::string kakitome = quoted(config.kakitome_binary);
    const std::string data = quoted((scratch / "data").string());
    std::ofstream(scratch / "mapping.json") << kMapping;

    // The baseline before and after the import: the machine's speed may drift between them.
    progress("baseline: zcat | wc -l");
    auto baseline_before = timed("zcat" + files + " | wc -l > /dev/null");
    if (!baseline_before.is_ok()) return baseline_before.status();
    const std::string report_file = (scratch / "incident.json").string();
    auto reported = timed(kakitome + " incident --data " + data +
                          " report --description bench --from 2025-05-19T00:00:00Z --to "
                          "2025-06-02T00:00:00Z > " +
                          quoted(report_file));
    if (!reported.is_ok()) return reported.status();
    const json incident = json::parse(std::ifstream(report_file), nullptr, false);
    if (!incident.is_object() || !incident.contains("incident"))
        return Status::internal("incident report gave no id");
    const std::string id = incident["incident"];
    if (auto mapped =
            timed(kakitome + " incident --data " + data + " mapping " + id + " --mapping " +
                  quoted((scratch / "mapping.json").string()) + " > /dev/null 2>&1");
        !mapped.is_ok())
        return mapped.status();
    progress("kakitome incident import-access-log");
    const std::string outcome_file = (scratch / "import.jsonl").string();
    auto imported =
        timed(kakitome + " incident --data " + data + " import-access-log " + id +
              " --format cloudfront" + files + " > " + quoted(outcome_file) + " 2>/dev/null");
    if (!imported.is_ok()) return imported.status();
    rusage children{};
    getrusage(RUSAGE_CHILDREN, &children);
    progress("baseline again");
    auto baseline_after = timed("zcat" + files + " | wc -l > /dev/null");
    if (!baseline_after.is_ok()) return baseline_after.status();

    std::uint64_t lines = 0, recorded = 0, bad = 0;
    std::ifstream outcomes(outcome_file);
    for (std::string line; std::getline(outcomes, line);) {
        const json outcome = json::parse(line, nullptr, false);
        if (!outcome.is_object()) continue;
        lines += outcome.value("lines", std::uint64_t{0});
        recorded += outcome.value("recorded", std::uint64_t{0});
        bad += outcome.value("bad_lines", std::uint64_t{0});
    }
    if (lines != config.lines || bad != 0)
        return Status::internal("the import read " + std::to_string(lines) + " lines (" +
                                std::to_string(bad) + " bad) of " + std::to_string(config.lines));
    const double baseline = (*baseline_before + *baseline_after) / 2;
    const double baseline_rate = static_cast<double>(config.lines) / baseline;
    const double import_rate = static_cast<double>(config.lines) / *imported;
    return json{{"benchmark", "import-access-log"},
                {"lines", config.lines},
                {"files", config.files},
                {"page_share", config.page_share},
                {"compressed_bytes", compressed},
                {"uncompressed_bytes", uncompressed.value()},
                {"requests_recorded", recorded},
                {"baseline_seconds", {*baseline_before, *baseline_after}},
                {"baseline_lines_per_second", baseline_rate},
                {"import_seconds", *imported},
                {"import_lines_per_second", import_rate},
                {"ratio", import_rate / baseline_rate},
                {"import_peak_rss_mib", static_cast<double>(children.ru_maxrss) / 1024}}
        .dump();
}

}  // namespace kakitome::bench
