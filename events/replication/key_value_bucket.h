// JetStream key-value buckets as the lease and the data keys use them: opening one (creating it
// when it does not exist) and reading a key from the bucket's stream leader.
//
// The client's key-value calls report a refusal of the server only as NATS_ERR, without
// JetStream's error code. A cluster that has been without a meta leader for a while answers
// "JetStream system temporarily unavailable" (10008) at once instead of timing out, and that must
// read as unavailable (wait, retry), not as internal: a node's start would exit at once instead
// of waiting for quorum to return. So a bucket is first looked up as its stream, whose lookup
// carries the code, and a failed key-value call is classified by asking JetStream again.
#pragma once

#include <chrono>
#include <optional>
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

// The key's last value as the stream's leader has it; nullopt when the key has none (never
// written, expired, deleted or purged). Not kvStore_Get: the client lets any replica answer a
// bucket's read (direct get), and a lagging one may still show a value removed a moment ago.
Result<std::optional<std::string>> read_key_from_leader(jsCtx* jetstream, const std::string& bucket,
                                                        const std::string& key,
                                                        const std::string& what);

}  // namespace kakitome::replication
