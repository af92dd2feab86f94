// kakitome queue [--data DIR] [--json] [--now TIME] [--config FILE]
// The work queue: open applications first, by SLA due date (business days), then closed ones.
// Reads the stored queue projection and folds whatever the worker has not folded yet, in memory:
// it opens the store read-only, so it works while a server or worker holds the directory.
#include <cstdio>

#include "api/cli/commands.h"
#include "api/cli/store_access.h"
#include "projections/projection_runner.h"
#include "projections/queue_projection.h"

namespace kakitome::cli {

int run_queue(const Words& words) {
    auto arguments = Arguments::parse(words, {"data", "now", "config"}, {"json"});
    if (!arguments.is_ok() || !arguments->positionals().empty()) {
        std::fprintf(stderr, "usage: kakitome queue [--data DIR] [--json] [--now TIME]\n");
        return kExitBadInput;
    }
    auto settings = settings_and_clock_or_report("queue", arguments.value());
    if (!settings) return kExitBadInput;
    auto reader = open_reader_or_report("queue", arguments.value());
    if (!reader) return kExitStoreError;
    auto& store = reader->store;
    QueueProjection queue(settings->first.workflow);
    ProjectionRunner runner(*store, queue);
    Status status = runner.load();
    if (status.is_ok()) status = runner.catch_up();
    if (!status.is_ok()) {
        std::fprintf(stderr, "kakitome queue: %s\n", status.to_string().c_str());
        return kExitStoreError;
    }
    const std::int64_t now = settings->second();
    std::printf("%s", arguments->has("json") ? (queue.to_json(now) + "\n").c_str()
                                             : queue.to_text(now).c_str());
    return kExitOk;
}

}  // namespace kakitome::cli
