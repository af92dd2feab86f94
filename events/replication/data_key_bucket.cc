#include "events/replication/data_key_bucket.h"

#include <nats/nats.h>

#include <cstring>

#include "events/base/sha256.h"
#include "events/replication/key_value_bucket.h"

namespace kakitome::replication {

namespace {

std::string key_of(std::string_view application) {
    return to_hex(reinterpret_cast<const std::uint8_t*>(application.data()), application.size());
}

}  // namespace

Result<std::unique_ptr<DataKeyBucket>> DataKeyBucket::open(NatsConnection& connection,
                                                           const std::string& bucket,
                                                           int replicas) {
    std::unique_ptr<DataKeyBucket> made(new DataKeyBucket(connection, bucket));
    const Status opened = open_key_value_bucket(
        connection, {.bucket = bucket, .replicas = replicas}, &made->store_, "the data key bucket");
    if (!opened.is_ok()) return opened;
    return made;
}

DataKeyBucket::~DataKeyBucket() {
    if (store_ != nullptr) kvStore_Destroy(store_);
}

Result<std::optional<std::string>> DataKeyBucket::get(std::string_view application) {
    // From the stream's leader: a lagging replica could still hold a key erased a moment ago.
    return read_key_from_leader(connection_.jetstream(), bucket_, key_of(application),
                                "reading a data key");
}

Result<std::string> DataKeyBucket::create(std::string_view application, std::string_view wrapped) {
    std::uint64_t revision = 0;
    const natsStatus status = kvStore_Create(&revision, store_, key_of(application).c_str(),
                                             wrapped.data(), static_cast<int>(wrapped.size()));
    if (status == NATS_OK) return std::string(wrapped);
    if (!key_value_compare_and_set_failed(status))
        return status_from_nats(status, 0, "storing a data key");
    // Another node was first: its key is the application's.
    auto existing = get(application);
    if (!existing.is_ok()) return existing.status();
    if (!existing->has_value())
        return Status::unavailable("a data key was created and is gone; try again");
    return existing->value();
}

Status DataKeyBucket::erase(std::string_view application, std::string_view tombstone) {
    std::uint64_t revision = 0;
    const natsStatus status = kvStore_Put(&revision, store_, key_of(application).c_str(),
                                          tombstone.data(), static_cast<int>(tombstone.size()));
    return status == NATS_OK ? Status::ok() : status_from_nats(status, 0, "erasing a data key");
}

Status DataKeyBucket::agree(std::string_view name, std::string_view value) {
    // Application keys are hex; a name with a dash cannot collide with one.
    const std::string key = "cluster-" + std::string(name);
    std::uint64_t revision = 0;
    natsStatus status = kvStore_Create(&revision, store_, key.c_str(), value.data(),
                                       static_cast<int>(value.size()));
    if (status == NATS_OK) return Status::ok();
    // Another node was first: what it recorded, from the stream's leader.
    auto entry =
        read_key_from_leader(connection_.jetstream(), bucket_, key, "reading the cluster's " + key);
    if (!entry.is_ok()) return entry.status();
    if (!entry->has_value())
        return Status::unavailable("the cluster's " + key + " was created and is gone; try again");
    const std::string& recorded = **entry;
    if (recorded != value)
        return Status::failed_precondition(
            "this node's " + std::string(name) +
            " is not the cluster's: every node of a "
            "replicated log needs the same master.key and ledger.key (docs/replication.md)");
    return Status::ok();
}

}  // namespace kakitome::replication
