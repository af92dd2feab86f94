#include "engine/workflow/application_erasure.h"

#include <set>

#include <nlohmann/json.hpp>

#include "engine/domain/streams.h"

namespace kakitome::workflow {

namespace {

const char* const kBlobFields[] = {"raw_blob", "attachment_blob"};

void collect_blob_ids(const RecordedEvent& event, std::set<std::string>& into) {
    const auto payload = nlohmann::json::parse(event.payload_json, nullptr, false);
    if (!payload.is_object()) return;
    for (const char* field : kBlobFields) {
        if (payload.contains(field) && payload[field].is_string())
            into.insert(payload[field].get<std::string>());
    }
}

}  // namespace

Result<std::vector<std::string>> application_blob_ids(const EventStore& store,
                                                      const std::string& application) {
    auto events = read_whole_stream(store, domain::application_stream(application));
    if (!events.is_ok()) return events.status();
    std::set<std::string> ids;
    for (const auto& event : events.value()) collect_blob_ids(event, ids);
    return std::vector<std::string>(ids.begin(), ids.end());
}

Result<DestroyedData> destroy_application_data(const EventStore& store, BlobStore& blobs,
                                               DataKeyVault& vault,
                                               const std::vector<std::string>& applications) {
    DestroyedData destroyed;
    if (applications.empty()) return destroyed;
    std::set<std::string> streams;
    std::set<std::string> candidates;
    for (const auto& application : applications) {
        const Status gone = vault.destroy(application);
        if (gone.is_ok())
            ++destroyed.keys_destroyed;
        else if (gone.code() != StatusCode::not_found)
            return gone;
        auto ids = application_blob_ids(store, application);
        if (!ids.is_ok()) return ids.status();
        candidates.insert(ids->begin(), ids->end());
        streams.insert(domain::application_stream(application));
    }
    if (candidates.empty()) return destroyed;
    // A blob another application refers to (the same attachment sent twice) stays. Erasure is
    // rare and batched, so one pass over the log is an acceptable price for not keeping a
    // reference index.
    KAKITOME_RETURN_IF_ERROR(for_each_event(store, Seq{1}, [&](const RecordedEvent& event) {
        if (candidates.empty() || streams.count(event.stream) ||
            !domain::is_application_stream(event.stream))
            return;
        std::erase_if(candidates, [&](const std::string& id) {
            return event.payload_json.find(id) != std::string::npos;
        });
    }));
    std::vector<std::string> present;
    for (const auto& id : candidates) {
        auto there = blobs.contains(id);
        if (!there.is_ok()) return there.status();
        if (there.value()) present.push_back(id);
    }
    auto reclaimed = blobs.erase(present);
    if (!reclaimed.is_ok()) return reclaimed.status();
    destroyed.blobs_deleted = present.size();
    destroyed.bytes_reclaimed = reclaimed.value();
    return destroyed;
}

}  // namespace kakitome::workflow
