// A fresh event store in a temporary directory for one test, removed afterwards.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "events/event_store.h"

namespace kakitome::testing {

inline std::filesystem::path fresh_directory(const std::string& name) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    auto path = std::filesystem::temp_directory_path() /
                ("kakitome-test-" + std::to_string(::getpid()) + "-" + info->test_suite_name() +
                 "-" + info->name() + "-" + name);
    std::filesystem::remove_all(path);
    return path;
}

struct TestStore {
    std::filesystem::path directory;
    std::shared_ptr<Database> database;
    std::unique_ptr<EventStore> store;

    explicit TestStore(const std::string& name = "store", EventStoreOptions options = {})
        : directory(fresh_directory(name)) {
        reopen(std::move(options));
    }
    void reopen(EventStoreOptions options = {}) {
        store.reset();
        database.reset();
        database = Database::open({.directory = directory}).value();
        store = EventStore::open(database, std::move(options)).value();
    }
    ~TestStore() {
        store.reset();
        database.reset();
        std::filesystem::remove_all(directory);
    }
};

inline NewEvent event_of(std::string type, std::string payload = "{}") {
    return NewEvent{.type = std::move(type), .payload_json = std::move(payload)};
}

}  // namespace kakitome::testing
