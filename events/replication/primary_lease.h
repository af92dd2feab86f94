// PrimaryLease: which node may write the replicated log (docs/replication.md). One key,
// "primary", in a JetStream key-value bucket (R3) whose entries expire after `ttl`: a node takes
// the lease by creating the key (which fails while another node's entry lives), keeps it by
// updating it at the revision it last wrote (which fails once anybody else wrote it), and
// loses it by not renewing: the entry expires and a standby's create succeeds.
//
// The lease is for liveness, not safety: what keeps two writers from both extending the log is
// the stream's expected-sequence check (jetstream_log.h). A node that lost the lease and still
// publishes is refused there.
// Not thread-safe: one thread (the node's controller) drives it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "events/base/status.h"
#include "events/replication/nats_connection.h"

typedef struct __kvStore kvStore;
typedef struct __jsCtx jsCtx;

namespace kakitome::replication {

struct LeaseOptions {
    std::string bucket = "kakitome-lease";
    std::chrono::milliseconds ttl{3000};
    int replicas = 3;
};

class PrimaryLease {
  public:
    // Opens (creating when missing) the bucket. The connection must outlive the lease.
    static Result<std::unique_ptr<PrimaryLease>> open(NatsConnection& connection,
                                                      LeaseOptions options);
    ~PrimaryLease();

    // true: `node` holds the lease now (it was free). false: another node holds it.
    Result<bool> try_acquire(const std::string& node);
    // Extends a lease this object holds. conflict: it was lost (expired and taken, or deleted).
    Status renew(const std::string& node);
    // Gives the lease up at once (a clean shutdown), so a standby need not wait for the ttl:
    // only the entry this object wrote, never another node's (a node deposed without noticing
    // must not delete the new primary's lease when it stops).
    Status release();
    // The node that holds the lease now; empty when nobody does.
    Result<std::string> holder();
    bool held() const { return revision_ != 0; }
    const LeaseOptions& options() const { return options_; }

  private:
    PrimaryLease(LeaseOptions options, jsCtx* jetstream)
        : options_(std::move(options)), jetstream_(jetstream) {}
    LeaseOptions options_;
    jsCtx* jetstream_;
    kvStore* store_ = nullptr;
    std::uint64_t revision_ = 0;  // of our entry while we hold it
};

}  // namespace kakitome::replication
