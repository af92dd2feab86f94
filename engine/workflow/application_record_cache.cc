#include "engine/workflow/application_record_cache.h"

#include "engine/domain/streams.h"

namespace kakitome::workflow {

ApplicationRecordCache::ApplicationRecordCache(const EventStore& store, std::size_t capacity)
    : store_(store), capacity_(capacity == 0 ? 1 : capacity) {}

Result<ApplicationRecord> ApplicationRecordCache::load(const std::string& application) {
    auto version = store_.stream_version(domain::application_stream(application));
    if (!version.is_ok()) return version.status();
    {
        std::lock_guard lock(mutex_);
        if (auto found = by_application_.find(application); found != by_application_.end()) {
            if (found->second->version == version.value()) {
                records_.splice(records_.begin(), records_, found->second);
                ++hits_;
                return *found->second;
            }
        }
    }
    // Folded outside the lock; the record carries the version it was folded at, which may be
    // newer than the one asked for above, and is what the next load compares against.
    auto loaded = load_application(store_, application);
    if (!loaded.is_ok()) return loaded.status();
    std::lock_guard lock(mutex_);
    if (auto found = by_application_.find(application); found != by_application_.end()) {
        if (found->second->version.value < loaded->version.value) *found->second = *loaded;
        records_.splice(records_.begin(), records_, found->second);
        return loaded;
    }
    records_.push_front(*loaded);
    by_application_.emplace(application, records_.begin());
    if (records_.size() > capacity_) {
        by_application_.erase(records_.back().application);
        records_.pop_back();
    }
    return loaded;
}

std::size_t ApplicationRecordCache::hits() const {
    std::lock_guard lock(mutex_);
    return hits_;
}

}  // namespace kakitome::workflow
