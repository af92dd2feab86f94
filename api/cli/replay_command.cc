// kakitome replay [--data DIR] [--projection NAME] [--compare | --as-of SEQ] [--json] [--config F]
// Rebuilds a projection (queue, directory, downloads, disclosures) from seq 1. Without --as-of
// (or with --compare) it rebuilds up to the stored projection's position and compares the two
// row by row, byte for byte: exit 0 identical, 1 different (the differing keys are listed,
// bytes outside printable ASCII as \xNN). The disclosure index is what who-saw, saw-what and
// every incident review read. With --as-of SEQ it prints the
// projection as it was after that event; with --as-of TIME, after the last event at or before it.
// Progress goes to stderr on long runs.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "api/cli/commands.h"
#include "api/cli/store_access.h"
#include "events/base/timestamp.h"
#include "projections/directory_projection.h"
#include "projections/disclosure_index.h"
#include "projections/downloads_projection.h"
#include "projections/inbox_projection.h"
#include "projections/incident_list.h"
#include "projections/projection_runner.h"
#include "projections/queue_projection.h"

namespace kakitome::cli {

namespace {

std::unique_ptr<Projection> make_projection(const std::string& name,
                                            const workflow::WorkflowConfig& config) {
    if (name == "queue") return std::make_unique<QueueProjection>(config);
    if (name == "directory") return std::make_unique<DirectoryProjection>();
    if (name == "downloads") return std::make_unique<DownloadsProjection>();
    if (name == "disclosures") return std::make_unique<DisclosureProjection>();
    if (name == "inbox") return std::make_unique<InboxProjection>();
    if (name == "incidents") return std::make_unique<IncidentListProjection>();
    return nullptr;
}

// Row keys may hold binary (the disclosure index's big-endian seqs and times).
std::string printable_key(const std::string& key) {
    std::string out;
    for (unsigned char c : key) {
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
            out += escaped;
        }
    }
    return out;
}

}  // namespace

int run_replay(const Words& words) {
    auto arguments = Arguments::parse(words, {"data", "projection", "as-of", "config", "now"},
                                      {"json", "compare"});
    const std::string name = arguments.is_ok() ? arguments->value_or("projection", "queue") : "";
    auto settings = arguments.is_ok() ? settings_and_clock_or_report("replay", arguments.value())
                                      : std::nullopt;
    if (!arguments.is_ok() || !arguments->positionals().empty() || !settings ||
        !make_projection(name, settings->first.workflow) ||
        (arguments->has("compare") && arguments->has("as-of"))) {
        std::fprintf(stderr,
                     "usage: kakitome replay [--projection queue|directory|downloads|disclosures] "
                     "[--compare | --as-of SEQ|TIME] [--json]\n");
        return kExitBadInput;
    }
    auto reader = open_reader_or_report("replay", arguments.value());
    if (!reader) return kExitStoreError;
    auto& store = reader->store;
    const auto& config = settings->first.workflow;
    auto progress = [](Seq at, Seq head) {
        if (head.value >= 100000 && at.value % 100000 < 10000)
            std::fprintf(stderr, "replay: %llu / %llu\n", static_cast<unsigned long long>(at.value),
                         static_cast<unsigned long long>(head.value));
    };
    auto rebuilt = make_projection(name, config);
    if (auto as_of = arguments->value("as-of")) {
        Seq until{0};
        if (auto time = parse_rfc3339_ms(*as_of)) {
            auto last = last_seq_at_or_before(*store, *time);
            if (!last.is_ok()) {
                std::fprintf(stderr, "kakitome replay: %s\n", last.status().to_string().c_str());
                return kExitStoreError;
            }
            until = last.value();
        } else {
            try {
                until = Seq{std::stoull(*as_of)};
            } catch (const std::exception&) {
                std::fprintf(stderr,
                             "kakitome replay: --as-of wants a seq number or an RFC 3339 time\n");
                return kExitBadInput;
            }
        }
        if (auto status = rebuild_projection(*store, *rebuilt, until, progress); !status.is_ok()) {
            std::fprintf(stderr, "kakitome replay: %s\n", status.to_string().c_str());
            return kExitStoreError;
        }
        nlohmann::json rows = nlohmann::json::object();
        for (const auto& [key, bytes] : projection_rows(*rebuilt))
            rows[printable_key(key)] = nlohmann::json::accept(bytes) ? nlohmann::json::parse(bytes)
                                                                     : nlohmann::json(bytes);
        std::printf("%s\n",
                    nlohmann::json{{"projection", name}, {"as_of", until.value}, {"rows", rows}}
                        .dump()
                        .c_str());
        return kExitOk;
    }
    auto stored = make_projection(name, config);
    ProjectionRunner runner(*store, *stored);
    if (auto status = runner.load(); !status.is_ok()) {
        std::fprintf(stderr, "kakitome replay: %s\n", status.to_string().c_str());
        return kExitStoreError;
    }
    if (runner.stored_format() != 0 && runner.stored_format() != stored->row_format()) {
        // Rows of an older format are not compared: the next writer replaces them.
        std::fprintf(stderr,
                     "kakitome replay: the stored %s rows are format %d, this kakitome writes "
                     "format %d; `kakitome process --once` or `serve` brings them to it first\n",
                     name.c_str(), runner.stored_format(), stored->row_format());
        std::printf("%s\n", nlohmann::json{{"projection", name},
                                           {"stored_format", runner.stored_format()},
                                           {"format", stored->row_format()},
                                           {"identical", false},
                                           {"stale_format", true}}
                                .dump()
                                .c_str());
        return kExitCheckFailed;
    }
    // The disclosure index keeps the position of the pages it ingests inside their tables.
    const Seq position =
        name == "disclosures" ? disclosure_index_position(*store->database()) : runner.position();
    if (auto status = rebuild_projection(*store, *rebuilt, position, progress); !status.is_ok()) {
        std::fprintf(stderr, "kakitome replay: %s\n", status.to_string().c_str());
        return kExitStoreError;
    }
    const auto live_rows = projection_rows(*stored);
    const auto rebuilt_rows = projection_rows(*rebuilt);
    std::vector<std::string> differing;
    for (const auto& [key, bytes] : rebuilt_rows) {
        auto found = live_rows.find(key);
        if (found == live_rows.end() || found->second != bytes) differing.push_back(key);
    }
    for (const auto& [key, bytes] : live_rows) {
        if (!rebuilt_rows.count(key)) differing.push_back(key);
    }
    for (auto& key : differing) key = printable_key(key);
    std::printf("%s\n", nlohmann::json{{"projection", name},
                                       {"position", position.value},
                                       {"rows", rebuilt_rows.size()},
                                       {"identical", differing.empty()},
                                       {"differing", differing}}
                            .dump()
                            .c_str());
    return differing.empty() ? kExitOk : kExitCheckFailed;
}

}  // namespace kakitome::cli
