#include "engine/workflow/application_erasure.h"

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/domain/application_state.h"
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

namespace {

// Deletes the blobs (one compaction), counting those that were there and the bytes regained.
Status delete_blobs(BlobStore& blobs, const std::vector<std::string>& ids,
                    DestroyedData& destroyed) {
    for (const auto& id : ids) {
        auto there = blobs.contains(id);
        if (!there.is_ok()) return there.status();
        if (there.value()) ++destroyed.blobs_deleted;
    }
    auto reclaimed = blobs.erase(ids);
    if (!reclaimed.is_ok()) return reclaimed.status();
    destroyed.bytes_reclaimed = reclaimed.value();
    return Status::ok();
}

// Deletes the candidates but those an application stream outside `owners` still refers to (a
// reference from an erased application keeps nothing), then compacts the blob family once.
Status erase_unreferenced_blobs(const EventStore& store, BlobStore& blobs,
                                const std::set<std::string>& candidates,
                                const std::set<std::string>& owners, DestroyedData& destroyed) {
    if (candidates.empty()) return Status::ok();
    // Erasure is rare and batched, so one pass over the log is an acceptable price for not
    // keeping a reference index.
    std::map<std::string, std::set<std::string>> referenced_by;  // blob -> other streams
    std::set<std::string> erased_streams;
    KAKITOME_RETURN_IF_ERROR(for_each_event(store, Seq{1}, [&](const RecordedEvent& event) {
        if (owners.count(event.stream) || !domain::is_application_stream(event.stream)) return;
        if (domain::erases_personal_data(event.type)) erased_streams.insert(event.stream);
        for (const auto& id : candidates) {
            if (event.payload_json.find(id) != std::string::npos)
                referenced_by[id].insert(event.stream);
        }
    }));
    std::vector<std::string> to_delete;
    for (const auto& id : candidates) {
        bool still_needed = false;
        for (const auto& stream : referenced_by[id]) still_needed |= !erased_streams.count(stream);
        if (!still_needed) to_delete.push_back(id);
    }
    return delete_blobs(blobs, to_delete, destroyed);
}

// The keys last: while one is live, the erasure is unfinished and is done again (a crash
// before this leaves the keys, never blobs without a key to notice them by).
Status destroy_keys(DataKeyVault& vault, const std::vector<std::string>& keys,
                    DestroyedData& destroyed) {
    for (const auto& key : keys) {
        const Status gone = vault.destroy(key);
        if (gone.is_ok())
            ++destroyed.keys_destroyed;
        else if (gone.code() != StatusCode::not_found)
            return gone;
    }
    return Status::ok();
}

}  // namespace

Result<DestroyedData> destroy_application_data(const EventStore& store, BlobStore& blobs,
                                               DataKeyVault& vault,
                                               const std::vector<std::string>& applications) {
    DestroyedData destroyed;
    std::set<std::string> streams;
    std::set<std::string> candidates;
    for (const auto& application : applications) {
        auto ids = application_blob_ids(store, application);
        if (!ids.is_ok()) return ids.status();
        candidates.insert(ids->begin(), ids->end());
        streams.insert(domain::application_stream(application));
    }
    KAKITOME_RETURN_IF_ERROR(
        erase_unreferenced_blobs(store, blobs, candidates, streams, destroyed));
    KAKITOME_RETURN_IF_ERROR(destroy_keys(vault, applications, destroyed));
    return destroyed;
}

Result<DestroyedData> destroy_mail_data(const EventStore& store, BlobStore& blobs,
                                        DataKeyVault& vault,
                                        const std::vector<std::string>& message_streams) {
    DestroyedData destroyed;
    std::set<std::string> candidates;
    for (const auto& stream : message_streams) {
        auto events = read_whole_stream(store, stream);
        if (!events.is_ok()) return events.status();
        for (const auto& event : events.value()) collect_blob_ids(event, candidates);
    }
    // A raw mail is stored under the hash of its bytes and its stream is named by its
    // Message-ID (or those bytes), so no application can refer to the same blob: no log scan.
    KAKITOME_RETURN_IF_ERROR(delete_blobs(
        blobs, std::vector<std::string>(candidates.begin(), candidates.end()), destroyed));
    // Most mails have no key (only an answered refusal seals anything): destroying one that
    // never existed would journal and compact for nothing, thousands of times for a year of spam.
    std::vector<std::string> keys;
    for (const auto& stream : message_streams) {
        auto live = vault.is_live(domain::data_key_of(stream));
        if (!live.is_ok()) return live.status();
        if (live.value()) keys.push_back(domain::data_key_of(stream));
    }
    KAKITOME_RETURN_IF_ERROR(destroy_keys(vault, keys, destroyed));
    return destroyed;
}

}  // namespace kakitome::workflow
