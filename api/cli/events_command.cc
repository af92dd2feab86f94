// kakitome events [--data DIR] [--stream NAME] [--from SEQ|VERSION] [--limit N]
// Prints events as canonical JSON lines (envelope with hash), in seq or stream-version order.
#include <cstdio>
#include <limits>

#include "api/cli/arguments.h"
#include "api/cli/commands.h"
#include "api/cli/store_access.h"

namespace kakitome::cli {

namespace {

// Events read from the store at once while printing: memory stays flat for any --limit.
constexpr std::size_t kEventsPerRead = 1000;

std::optional<std::uint64_t> parse_count(const std::string& text) {
    if (text.empty() || text.size() > 19) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value;
}

}  // namespace

int run_events(const Words& words) {
    auto arguments = Arguments::parse(words, {"data", "stream", "from", "limit"}, {});
    const auto from =
        arguments.is_ok() ? parse_count(arguments->value_or("from", "1")) : std::nullopt;
    const auto limit =
        arguments.is_ok() ? parse_count(arguments->value_or("limit", "1000")) : std::nullopt;
    if (!arguments.is_ok() || !from || !limit || !arguments->positionals().empty()) {
        std::fprintf(
            stderr, "usage: kakitome events [--data DIR] [--stream NAME] [--from N] [--limit N]\n");
        return kExitBadInput;
    }
    auto reader = open_reader_or_report("events", arguments.value());
    if (!reader) return kExitStoreError;
    auto& store = reader->store;

    std::uint64_t remaining = *limit;
    std::uint64_t next = std::max<std::uint64_t>(*from, 1);
    const auto stream = arguments->value("stream");
    while (remaining > 0) {
        const std::size_t page =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining, kEventsPerRead));
        auto events = stream ? store->read_stream_forward(*stream, StreamVersion{next}, page)
                             : store->read_all(Seq{next}, page);
        if (!events.is_ok()) {
            std::fprintf(stderr, "kakitome events: %s\n", events.status().to_string().c_str());
            return events.status().code() == StatusCode::invalid_argument ? kExitBadInput
                                                                          : kExitStoreError;
        }
        for (const auto& event : events.value()) std::printf("%s\n", event.to_json().c_str());
        if (events->size() < page) break;
        remaining -= events->size();
        next = (stream ? events->back().version.value : events->back().seq.value) + 1;
    }
    return kExitOk;
}

}  // namespace kakitome::cli
