// Test helper for the durability tests: N appends in Durability::sync, with "A <i>" written to
// the file named by KAKITOME_SYNC_LOG as each is acknowledged (the fsync_recorder shim writes "S"
// there for every WAL sync), so a test can check that a sync precedes every acknowledgement.
// Mode "sync": one append at a time. Mode "async": all N submitted at once with append_async,
// each logged as "Q <i>" before it is submitted; the completions log the acknowledgements.
#include <fcntl.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "events/event_store.h"

namespace {

void log_line(const char* log, const std::string& line) {
    const int out = ::open(log, O_WRONLY | O_APPEND | O_CREAT, 0600);
    const std::string text = line + "\n";
    (void)!::write(out, text.data(), text.size());  // O_APPEND: whole lines, never interleaved
    ::close(out);
}

std::vector<kakitome::NewEvent> event_number(int i) {
    return {kakitome::NewEvent{.type = "DurabilityTested",
                               .payload_json = "{\"i\":" + std::to_string(i) + "}"}};
}

}  // namespace

int main(int argc, char** argv) {
    using namespace kakitome;
    const char* log = std::getenv("KAKITOME_SYNC_LOG");
    const std::string mode = argc == 4 ? argv[3] : "";
    if (!log || (mode != "sync" && mode != "async")) {
        std::fprintf(stderr, "usage: KAKITOME_SYNC_LOG=FILE sync_appender DIR COUNT sync|async\n");
        return 2;
    }
    auto database = Database::open({.directory = argv[1]});
    if (!database.is_ok()) return 4;
    auto store = EventStore::open(database.value(), {.durability = Durability::sync});
    if (!store.is_ok()) return 4;
    const int count = std::atoi(argv[2]);
    if (mode == "sync") {
        for (int i = 0; i < count; ++i) {
            auto appended = store.value()->append("durable-" + std::to_string(i % 3),
                                                  ExpectedVersion::any(), event_number(i));
            if (!appended.is_ok()) return 4;
            log_line(log, "A " + std::to_string(i));
        }
        return 0;
    }
    std::mutex mutex;
    std::condition_variable changed;
    int completed = 0, failed = 0;
    for (int i = 0; i < count; ++i) {
        log_line(log, "Q " + std::to_string(i));
        store.value()->append_async("durable-" + std::to_string(i % 3), ExpectedVersion::any(),
                                    event_number(i), [&, i](Result<AppendResult> appended) {
                                        if (appended.is_ok())
                                            log_line(log, "A " + std::to_string(i));
                                        std::lock_guard lock(mutex);
                                        ++completed;
                                        failed += appended.is_ok() ? 0 : 1;
                                        changed.notify_all();
                                    });
    }
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return completed == count; });
    return failed == 0 ? 0 : 4;
}
