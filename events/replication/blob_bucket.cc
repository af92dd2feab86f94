#include "events/replication/blob_bucket.h"

#include <nats/nats.h>

#include <algorithm>

namespace kakitome::replication {

namespace {

constexpr std::size_t kChunkBytes = 1024 * 1024;
constexpr const char* kChunksHeader = "Kakitome-Chunks";

}  // namespace

Result<std::unique_ptr<BlobBucket>> BlobBucket::open(NatsConnection& connection,
                                                     const std::string& name, int replicas) {
    std::unique_ptr<BlobBucket> bucket(new BlobBucket(connection, name));
    jsStreamInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus status =
        js_GetStreamInfo(&info, connection.jetstream(), name.c_str(), nullptr, &code);
    if (status == NATS_OK) {
        jsStreamInfo_Destroy(info);
        return bucket;
    }
    if (code != JSStreamNotFoundErr && status != NATS_NOT_FOUND)
        return status_from_nats(status, code, "looking up stream " + name);
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    const std::string subjects_pattern = bucket->prefix_ + ".>";
    const char* subjects[] = {subjects_pattern.c_str()};
    config.Name = name.c_str();
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    config.Replicas = replicas;
    config.MaxMsgsPerSubject = 1;
    config.Description = "kakitome's blobs (sealed attachments and raw mails), in chunks";
    code = static_cast<jsErrCode>(0);
    status = js_AddStream(&info, connection.jetstream(), &config, nullptr, &code);
    if (status != NATS_OK) return status_from_nats(status, code, "creating stream " + name);
    jsStreamInfo_Destroy(info);
    return bucket;
}

std::string BlobBucket::subject(std::string_view blob_id, std::size_t index) const {
    return prefix_ + "." + std::string(blob_id) + "." + std::to_string(index);
}

Status BlobBucket::put(std::string_view blob_id, std::string_view sealed) {
    const std::size_t chunks =
        std::max<std::size_t>(1, (sealed.size() + kChunkBytes - 1) / kChunkBytes);
    // The first chunk last: a reader that finds it finds every other chunk too.
    for (std::size_t n = chunks; n-- > 0;) {
        const std::string_view part = sealed.substr(n * kChunkBytes, kChunkBytes);
        natsMsg* message = nullptr;
        const std::string to = subject(blob_id, n);
        natsStatus status = natsMsg_Create(&message, to.c_str(), nullptr, part.data(),
                                           static_cast<int>(part.size()));
        const std::string count = std::to_string(chunks);
        if (status == NATS_OK && n == 0)
            status = natsMsgHeader_Set(message, kChunksHeader, count.c_str());
        jsPubAck* ack = nullptr;
        jsErrCode code = static_cast<jsErrCode>(0);
        if (status == NATS_OK)
            status = js_PublishMsg(&ack, connection_.jetstream(), message, nullptr, &code);
        natsMsg_Destroy(message);
        if (ack != nullptr) jsPubAck_Destroy(ack);
        if (status != NATS_OK) return status_from_nats(status, code, "storing blob " + to);
    }
    return Status::ok();
}

Result<std::optional<std::string>> BlobBucket::get(std::string_view blob_id) {
    std::string sealed;
    std::size_t chunks = 1;
    for (std::size_t n = 0; n < chunks; ++n) {
        natsMsg* message = nullptr;
        jsErrCode code = static_cast<jsErrCode>(0);
        const std::string from = subject(blob_id, n);
        const natsStatus status = js_GetLastMsg(&message, connection_.jetstream(), name_.c_str(),
                                                from.c_str(), nullptr, &code);
        if (status == NATS_NOT_FOUND || code == JSNoMessageFoundErr) {
            if (n == 0) return std::optional<std::string>{};
            return Status::corruption("blob " + std::string(blob_id) + " lacks chunk " +
                                      std::to_string(n));
        }
        if (status != NATS_OK) return status_from_nats(status, code, "reading blob " + from);
        if (n == 0) {
            const char* count = nullptr;
            if (natsMsgHeader_Get(message, kChunksHeader, &count) == NATS_OK && count != nullptr)
                chunks = std::max<std::size_t>(1, std::stoull(count));
        }
        sealed.append(natsMsg_GetData(message),
                      static_cast<std::size_t>(natsMsg_GetDataLength(message)));
        natsMsg_Destroy(message);
    }
    return std::optional<std::string>{std::move(sealed)};
}

Status BlobBucket::erase(std::string_view blob_id) {
    jsOptions options;
    jsOptions_Init(&options);
    const std::string all_chunks = prefix_ + "." + std::string(blob_id) + ".>";
    options.Stream.Purge.Subject = all_chunks.c_str();
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus status =
        js_PurgeStream(connection_.jetstream(), name_.c_str(), &options, &code);
    return status == NATS_OK
               ? Status::ok()
               : status_from_nats(status, code, "erasing blob " + std::string(blob_id));
}

}  // namespace kakitome::replication
