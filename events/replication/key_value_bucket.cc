#include "events/replication/key_value_bucket.h"

#include <nats/nats.h>

namespace kakitome::replication {

Status open_key_value_bucket(NatsConnection& connection, const KeyValueBucketOptions& options,
                             kvStore** store, const std::string& what) {
    const std::string failed = "opening " + what + " " + options.bucket;
    // A bucket is the stream KV_<bucket>. Its lookup reports JetStream's error code, so it is
    // asked first: whether the bucket exists, or why the cluster cannot say.
    jsStreamInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus status = js_GetStreamInfo(&info, connection.jetstream(),
                                         ("KV_" + options.bucket).c_str(), nullptr, &code);
    if (status == NATS_OK) {
        jsStreamInfo_Destroy(info);
        status = js_KeyValue(store, connection.jetstream(), options.bucket.c_str());
        return status == NATS_OK ? Status::ok() : status_from_nats(status, 0, failed);
    }
    if (status != NATS_NOT_FOUND && code != JSStreamNotFoundErr)
        return status_from_nats(status, code, failed);
    kvConfig config;
    kvConfig_Init(&config);
    config.Bucket = options.bucket.c_str();
    config.History = 1;
    config.Replicas = options.replicas;
    config.TTL = options.ttl.count();
    status = js_CreateKeyValue(store, connection.jetstream(), &config);
    return status == NATS_OK ? Status::ok() : status_from_nats(status, 0, failed);
}

}  // namespace kakitome::replication
