#include "bench/decrypt_benchmark.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/office/office_document.h"

namespace kakitome::bench {

namespace {

using Clock = std::chrono::steady_clock;

double milliseconds_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

std::string shell_quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

Result<std::string> capture(const std::string& command) {
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) return Status::io_error("cannot run " + command);
    std::string output;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
        output.append(buffer, n);
    if (::pclose(pipe) != 0) return Status::io_error("command failed: " + command);
    return output;
}

// Milliseconds for 100,000 SHA-512 digests of `bytes`-byte messages, from `openssl speed`.
Result<double> openssl_sha512_limit(int bytes) {
    auto output = capture("openssl speed -evp sha512 -bytes " + std::to_string(bytes) +
                          " -seconds 2 2>/dev/null");
    if (!output.is_ok()) return output.status();
    std::istringstream lines(output.value());
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("sha512", 0) != 0) continue;
        const auto last = line.find_last_of(' ');
        const double kilobytes_per_second = std::stod(line.substr(last + 1));
        const double digests_per_second = kilobytes_per_second * 1000.0 / bytes;
        return 100000.0 / digests_per_second * 1000.0;
    }
    return Status::internal("openssl speed printed no sha512 line");
}

double cpu_milliseconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto ms = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) * 1000.0 + static_cast<double>(t.tv_usec) / 1000.0;
    };
    return ms(usage.ru_utime) + ms(usage.ru_stime);
}

}  // namespace

Result<std::string> run_decrypt_benchmark(const DecryptBenchmarkConfig& config) {
    std::ifstream in(config.file, std::ios::binary);
    if (!in) return Status::not_found("cannot read " + config.file);
    const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    nlohmann::json result{{"benchmark", "decrypt"}, {"file", config.file}, {"runs", config.runs}};

    // (a) kakitome, one form at a time.
    std::vector<double> single;
    for (int i = 0; i < config.runs + 1; ++i) {
        const auto start = Clock::now();
        auto document = office::decrypt_document(file, config.password);
        const double elapsed = milliseconds_since(start);
        if (!document.is_ok()) return document.status();
        if (i > 0) single.push_back(elapsed);  // the first run warms caches and OpenSSL's tables
    }
    const double kakitome_ms = median(single);
    result["kakitome_ms"] = kakitome_ms;

    auto limit_128 = openssl_sha512_limit(128);
    auto limit_64 = openssl_sha512_limit(64);
    if (limit_128.is_ok()) {
        result["openssl_sha512_100k_128_byte_ms"] = limit_128.value();
        result["ratio_to_openssl_limit"] = kakitome_ms / limit_128.value();
    }
    if (limit_64.is_ok()) {
        result["openssl_sha512_100k_64_byte_ms"] = limit_64.value();
        result["ratio_to_one_block_limit"] = kakitome_ms / limit_64.value();
    }

    if (config.compare_msoffcrypto) {
        // (b) msoffcrypto-tool as a process, as a script would call it.
        std::vector<double> process;
        for (int i = 0; i < config.runs; ++i) {
            const auto start = Clock::now();
            auto run = capture("/usr/bin/msoffcrypto-tool -p " + shell_quote(config.password) +
                               " " + shell_quote(config.file) + " /dev/null");
            if (!run.is_ok()) return run.status();
            process.push_back(milliseconds_since(start));
        }
        result["msoffcrypto_process_ms"] = median(process);
        result["speedup_vs_msoffcrypto_process"] = median(process) / kakitome_ms;
        // (c) msoffcrypto-tool in-process: module loaded once, median of the calls.
        const std::string script =
            "import io, time, statistics, msoffcrypto\n"
            // JSON string literals are valid Python string literals.
            "data = open(" +
            nlohmann::json(config.file).dump() +
            ", 'rb').read()\n"
            "times = []\n"
            "for i in range(" +
            std::to_string(config.runs + 1) +
            "):\n"
            "    start = time.perf_counter()\n"
            "    f = msoffcrypto.OfficeFile(io.BytesIO(data)); f.load_key(password=" +
            nlohmann::json(config.password).dump() +
            ")\n"
            "    f.decrypt(io.BytesIO())\n"
            "    times.append((time.perf_counter() - start) * 1000)\n"
            "print(statistics.median(times[1:]))\n";
        auto in_process = capture("/usr/bin/python3 -c " + shell_quote(script));
        if (!in_process.is_ok()) return in_process.status();
        const double python_ms = std::stod(in_process.value());
        result["msoffcrypto_in_process_ms"] = python_ms;
        result["speedup_vs_msoffcrypto_in_process"] = python_ms / kakitome_ms;
    }

    // (d) a batch on every core: each thread takes the next form until all are done.
    const int threads = config.threads > 0
                            ? config.threads
                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::atomic<int> next{0}, failures{0};
    const double cpu_before = cpu_milliseconds();
    const auto start = Clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            while (next.fetch_add(1) < config.batch) {
                if (!office::decrypt_document(file, config.password).is_ok()) ++failures;
            }
        });
    }
    for (auto& thread : pool) thread.join();
    const double batch_ms = milliseconds_since(start);
    const double batch_cpu_ms = cpu_milliseconds() - cpu_before;
    if (failures > 0) return Status::internal("decryption failed in the batch");
    result["batch"] = {{"forms", config.batch},
                       {"threads", threads},
                       {"wall_ms", batch_ms},
                       {"cpu_ms", batch_cpu_ms},
                       {"cores_busy", batch_cpu_ms / batch_ms},
                       {"forms_per_second", config.batch / (batch_ms / 1000.0)},
                       {"speedup_vs_sequential", kakitome_ms * config.batch / batch_ms}};
    return result.dump();
}

}  // namespace kakitome::bench
