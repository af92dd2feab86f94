#include "events/replication/primary_lease.h"

#include <nats/nats.h>

#include "events/replication/key_value_bucket.h"

namespace kakitome::replication {

namespace {
constexpr const char* kKey = "primary";

Status lease_failure(natsStatus status, const std::string& what) {
    const Status failed = status_from_nats(status, 0, what);
    const std::string said = last_error_words();
    // Whatever it was, the lease is not known to be held: say what happened, as unavailable.
    return Status::unavailable(failed.message() + (said.empty() ? "" : ": " + said));
}

}  // namespace

Result<std::unique_ptr<PrimaryLease>> PrimaryLease::open(NatsConnection& connection,
                                                         LeaseOptions options) {
    std::unique_ptr<PrimaryLease> lease(
        new PrimaryLease(std::move(options), connection.jetstream()));
    const Status opened = open_key_value_bucket(
        connection,
        {.bucket = lease->options_.bucket,
         .replicas = lease->options_.replicas,
         .ttl = std::chrono::duration_cast<std::chrono::nanoseconds>(lease->options_.ttl)},
        &lease->store_, "the lease bucket");
    if (!opened.is_ok()) return opened;
    return lease;
}

PrimaryLease::~PrimaryLease() {
    if (store_ != nullptr) kvStore_Destroy(store_);
}

Result<bool> PrimaryLease::try_acquire(const std::string& node) {
    std::uint64_t revision = 0;
    const natsStatus status =
        kvStore_Create(&revision, store_, kKey, node.data(), static_cast<int>(node.size()));
    if (status == NATS_OK) {
        revision_ = revision;
        return true;
    }
    revision_ = 0;
    // The key exists: another node's entry lives.
    if (key_value_compare_and_set_failed(status)) return false;
    return lease_failure(status, "taking the lease");
}

Status PrimaryLease::renew(const std::string& node) {
    if (revision_ == 0) return Status::conflict("the lease is not held");
    std::uint64_t revision = 0;
    const natsStatus status = kvStore_Update(&revision, store_, kKey, node.data(),
                                             static_cast<int>(node.size()), revision_);
    if (status == NATS_OK) {
        revision_ = revision;
        return Status::ok();
    }
    if (!key_value_compare_and_set_failed(status))
        return lease_failure(status, "renewing the lease");
    revision_ = 0;
    return Status::conflict("the lease expired or was taken by another node");
}

// A purge marker as the bucket writes one (KV-Operation: PURGE, rolling the key's history up),
// published only if our entry is still the key's last: the stream refuses it otherwise
// (Nats-Expected-Last-Subject-Sequence), so a lease another node took since stays. nats.c's
// kvStore_Purge has no such condition.
Status PrimaryLease::release() {
    if (revision_ == 0) return Status::ok();
    const std::uint64_t ours = revision_;
    revision_ = 0;
    const std::string subject = "$KV." + options_.bucket + "." + kKey;
    natsMsg* marker = nullptr;
    natsStatus status = natsMsg_Create(&marker, subject.c_str(), nullptr, nullptr, 0);
    if (status == NATS_OK) status = natsMsgHeader_Set(marker, "KV-Operation", "PURGE");
    if (status == NATS_OK) status = natsMsgHeader_Set(marker, "Nats-Rollup", "sub");
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.ExpectLastSubjectSeq = ours;
    jsPubAck* ack = nullptr;
    if (status == NATS_OK) status = js_PublishMsg(&ack, jetstream_, marker, &options, nullptr);
    jsPubAck_Destroy(ack);
    natsMsg_Destroy(marker);
    if (status == NATS_OK) return Status::ok();
    // Ours expired, and perhaps another node holds the key now: nothing of ours to give up.
    if (key_value_compare_and_set_failed(status)) return Status::ok();
    return status_from_nats(status, 0, "releasing the lease");
}

Result<std::string> PrimaryLease::holder() {
    // From the stream's leader: a lagging replica could still name a node that just let go.
    auto entry = read_key_from_leader(jetstream_, options_.bucket, kKey, "reading the lease");
    if (!entry.is_ok()) return entry.status();
    return entry->value_or(std::string());
}

}  // namespace kakitome::replication
