// ApplicationRecordCache: load_application for reads that repeat (GET /v1/applications/{id}).
// A record is the pure fold of its stream, so a cached record is current exactly while the
// stream's version is what it was folded at: each load asks the store for the stream's version
// (one index seek) and folds the stream again only when it has moved. The answer is always the
// record of the stream as it stood at some moment during the call, as load_application's is.
// Bounded: the least recently used record is dropped first. Thread-safe.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "engine/workflow/application_record.h"
#include "events/event_store.h"

namespace kakitome::workflow {

class ApplicationRecordCache {
  public:
    explicit ApplicationRecordCache(const EventStore& store, std::size_t capacity = 4096);
    Result<ApplicationRecord> load(const std::string& application);
    // How many loads were answered without reading the stream (for tests).
    std::size_t hits() const;

  private:
    const EventStore& store_;
    const std::size_t capacity_;
    mutable std::mutex mutex_;
    std::list<ApplicationRecord> records_;  // most recently used first
    std::unordered_map<std::string, std::list<ApplicationRecord>::iterator> by_application_;
    std::size_t hits_ = 0;
};

}  // namespace kakitome::workflow
