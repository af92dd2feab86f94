// Test helper for the durability test: N appends, one at a time, in Durability::sync; after
// each is acknowledged it writes "A" to the file named by KAKITOME_SYNC_LOG (where the
// fsync_recorder shim writes "S" for every WAL sync), so the test can check that a sync precedes
// every acknowledgement.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "events/event_store.h"

int main(int argc, char** argv) {
    using namespace kakitome;
    const char* log = std::getenv("KAKITOME_SYNC_LOG");
    if (argc != 3 || !log) {
        std::fprintf(stderr, "usage: KAKITOME_SYNC_LOG=FILE sync_appender DIR COUNT\n");
        return 2;
    }
    auto database = Database::open({.directory = argv[1]});
    if (!database.is_ok()) return 4;
    auto store = EventStore::open(database.value(), {.durability = Durability::sync});
    if (!store.is_ok()) return 4;
    const int count = std::atoi(argv[2]);
    for (int i = 0; i < count; ++i) {
        auto appended =
            store.value()->append("durable-" + std::to_string(i % 3), ExpectedVersion::any(),
                                  {NewEvent{.type = "DurabilityTested",
                                            .payload_json = "{\"i\":" + std::to_string(i) + "}"}});
        if (!appended.is_ok()) return 4;
        const int out = ::open(log, O_WRONLY | O_APPEND | O_CREAT, 0600);
        (void)!::write(out, "A\n", 2);
        ::close(out);
    }
    return 0;
}
