// Opening a JetStream key-value bucket, creating it when it does not exist, for the lease and
// the data keys. Its failures carry JetStream's error code, which the client's key-value calls
// do not report: a cluster that has been without a meta leader for a while answers "JetStream
// system temporarily unavailable" (10008), and that must read as unavailable (wait, retry), not
// as internal (a node's start would exit at once instead of waiting for quorum to return).
#pragma once

#include <chrono>
#include <string>

#include "events/base/status.h"
#include "events/replication/nats_connection.h"

typedef struct __kvStore kvStore;

namespace kakitome::replication {

struct KeyValueBucketOptions {
    std::string bucket;
    int replicas = 1;
    // How long a key lives after its last write; zero for ever.
    std::chrono::nanoseconds ttl{0};
};

// Opens the bucket into *store (the caller destroys it), creating it with one value per key
// when it does not exist. `what` names the bucket's purpose in the error ("the lease bucket").
Status open_key_value_bucket(NatsConnection& connection, const KeyValueBucketOptions& options,
                             kvStore** store, const std::string& what);

}  // namespace kakitome::replication
