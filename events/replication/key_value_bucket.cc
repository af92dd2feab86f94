#include "events/replication/key_value_bucket.h"

#include <nats/nats.h>

#include <string_view>

namespace kakitome::replication {

namespace {

std::string with_server_words(const std::string& what) {
    const std::string said = last_error_words();
    return said.empty() ? what : what + " (" + said + ")";
}

// A key-value call that failed: classified by what JetStream answers when asked again, since
// the call itself does not carry the error code.
Status key_value_failure(jsCtx* jetstream, natsStatus status, const std::string& what) {
    const std::string failed = with_server_words(what);
    if (status != NATS_ERR) return status_from_nats(status, 0, failed);
    // Placement needs as many servers as replicas: one of them down is transient. And a refusal
    // for want of a meta leader is transient even if the leader is back when asked again.
    if (failed.find("no suitable peers") != std::string::npos ||
        failed.find("temporarily unavailable") != std::string::npos)
        return Status::unavailable(failed + ": " + natsStatus_GetText(status));
    jsAccountInfo* account = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus asked = js_GetAccountInfo(&account, jetstream, nullptr, &code);
    if (asked == NATS_OK) {
        jsAccountInfo_Destroy(account);
        return status_from_nats(status, 0, failed);
    }
    return status_from_nats(asked, code, failed);
}

}  // namespace

Status open_key_value_bucket(NatsConnection& connection, const KeyValueBucketOptions& options,
                             kvStore** store, const std::string& what) {
    const std::string failed = "opening " + what + " " + options.bucket;
    jsCtx* jetstream = connection.jetstream();
    // A bucket is the stream KV_<bucket>: whether it exists, or why the cluster cannot say.
    jsStreamInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus status =
        js_GetStreamInfo(&info, jetstream, ("KV_" + options.bucket).c_str(), nullptr, &code);
    if (status == NATS_OK) {
        jsStreamInfo_Destroy(info);
        status = js_KeyValue(store, jetstream, options.bucket.c_str());
        return status == NATS_OK ? Status::ok() : key_value_failure(jetstream, status, failed);
    }
    if (status != NATS_NOT_FOUND && code != JSStreamNotFoundErr)
        return status_from_nats(status, code, with_server_words(failed));
    kvConfig config;
    kvConfig_Init(&config);
    config.Bucket = options.bucket.c_str();
    config.History = 1;
    config.Replicas = options.replicas;
    config.TTL = options.ttl.count();
    status = js_CreateKeyValue(store, jetstream, &config);
    return status == NATS_OK ? Status::ok() : key_value_failure(jetstream, status, failed);
}

Result<std::optional<std::string>> read_key_from_leader(jsCtx* jetstream, const std::string& bucket,
                                                        const std::string& key,
                                                        const std::string& what) {
    natsMsg* message = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const std::string subject = "$KV." + bucket + "." + key;
    const natsStatus status = js_GetLastMsg(&message, jetstream, ("KV_" + bucket).c_str(),
                                            subject.c_str(), nullptr, &code);
    if (status == NATS_NOT_FOUND || code == JSNoMessageFoundErr)
        return std::optional<std::string>{};
    if (status != NATS_OK) return status_from_nats(status, code, what);
    // A delete or purge marker (as `nats kv del` writes one) leaves the key without a value.
    const char* operation = nullptr;
    if (natsMsgHeader_Get(message, "KV-Operation", &operation) == NATS_OK && operation != nullptr) {
        const std::string_view removed = operation;
        if (removed == "DEL" || removed == "PURGE") {
            natsMsg_Destroy(message);
            return std::optional<std::string>{};
        }
    }
    std::string value(natsMsg_GetData(message),
                      static_cast<std::size_t>(natsMsg_GetDataLength(message)));
    natsMsg_Destroy(message);
    return std::optional<std::string>{std::move(value)};
}

}  // namespace kakitome::replication
