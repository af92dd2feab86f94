// kakitome queue [--data DIR] [--json]
// The work queue: every application with its state, oldest open first. Rebuilt from the log.
#include <cstdio>

#include "api/cli/arguments.h"
#include "api/cli/commands.h"
#include "api/cli/store_access.h"
#include "projections/application_queue.h"

namespace kakitome::cli {

int run_queue(const Words& words) {
    auto arguments = Arguments::parse(words, {"data"}, {"json"});
    if (!arguments.is_ok() || !arguments->positionals().empty()) {
        std::fprintf(stderr, "usage: kakitome queue [--data DIR] [--json]\n");
        return kExitBadInput;
    }
    auto store = open_store_or_report("queue", arguments->value_or("data", kDefaultDataDirectory), /*read_only=*/true);
    if (!store) return kExitStoreError;
    ApplicationQueue queue;
    for (Seq next{1};;) {
        auto page = store->read_all(next, 10000);
        if (!page.is_ok()) {
            std::fprintf(stderr, "kakitome queue: %s\n", page.status().to_string().c_str());
            return kExitStoreError;
        }
        for (const auto& event : page.value()) queue.apply(event);
        if (page->size() < 10000) break;
        next = Seq{page->back().seq.value + 1};
    }
    std::printf("%s", arguments->has("json") ? (queue.to_json() + "\n").c_str() : queue.to_text().c_str());
    return kExitOk;
}

}  // namespace kakitome::cli
