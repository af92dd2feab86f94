#include "events/base/operator_log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "events/base/timestamp.h"

namespace kakitome::logging {

namespace {

std::atomic<int> current_threshold{static_cast<int>(Level::info)};
std::mutex write_mutex;

}  // namespace

std::optional<Level> level_from_name(std::string_view name) {
    if (name == "debug") return Level::debug;
    if (name == "info") return Level::info;
    if (name == "warning") return Level::warning;
    if (name == "error") return Level::error;
    return std::nullopt;
}

const char* level_name(Level level) {
    switch (level) {
        case Level::debug:
            return "debug";
        case Level::info:
            return "info";
        case Level::warning:
            return "warning";
        case Level::error:
            return "error";
    }
    return "info";
}

void set_threshold(Level level) {
    current_threshold = static_cast<int>(level);
}

Level threshold() {
    return static_cast<Level>(current_threshold.load());
}

bool enabled(Level level) {
    return static_cast<int>(level) >= current_threshold.load();
}

void write(Level level, std::string_view message, const nlohmann::json& fields) {
    if (!enabled(level)) return;
    nlohmann::ordered_json line;
    line["time"] = format_rfc3339_ms(system_clock_ms());
    line["level"] = level_name(level);
    line["message"] = std::string(message);
    if (fields.is_object())
        for (const auto& [key, value] : fields.items()) line[key] = value;
    const std::string text =
        line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    // One fwrite under a lock: a line is never interleaved with another thread's.
    std::lock_guard lock(write_mutex);
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
}

}  // namespace kakitome::logging
