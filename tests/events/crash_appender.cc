// Test helper for crash_test: appends in Durability::sync from 8 threads until killed, and
// reports each acknowledged append on stdout as "first_seq last_seq stream version". One write(2)
// per line (< PIPE_BUF) so lines from different threads never interleave.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "events/event_store.h"

int main(int argc, char** argv) {
    using namespace kakitome;
    if (argc != 2) {
        std::fprintf(stderr, "usage: crash_appender DIR\n");
        return 2;
    }
    auto database = Database::open({.directory = argv[1]});
    if (!database.is_ok()) {
        std::fprintf(stderr, "%s\n", database.status().to_string().c_str());
        return 4;
    }
    auto store = EventStore::open(database.value(), {.durability = Durability::sync});
    if (!store.is_ok()) {
        std::fprintf(stderr, "%s\n", store.status().to_string().c_str());
        return 4;
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            const std::string stream = "crash-" + std::to_string(t);
            StreamVersion version = store.value()->stream_version(stream).value();
            for (std::uint64_t i = 0;; ++i) {
                std::vector<NewEvent> events(1 + i % 3);  // batches of 1..3 events
                for (auto& event : events) {
                    event.type = "CrashTestAppended";
                    event.payload_json =
                        "{\"thread\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) + "}";
                }
                auto appended =
                    store.value()->append_with_expected_version(stream, version, std::move(events));
                if (!appended.is_ok()) {
                    std::fprintf(stderr, "append failed: %s\n",
                                 appended.status().to_string().c_str());
                    _exit(5);
                }
                version = appended->stream_version;
                char line[128];
                const int size =
                    std::snprintf(line, sizeof line, "%llu %llu %s %llu\n",
                                  static_cast<unsigned long long>(appended->first_seq.value),
                                  static_cast<unsigned long long>(appended->last_seq.value),
                                  stream.c_str(), static_cast<unsigned long long>(version.value));
                if (::write(1, line, static_cast<std::size_t>(size)) != size) _exit(6);
            }
        });
    }
    for (auto& thread : threads) thread.join();
}
