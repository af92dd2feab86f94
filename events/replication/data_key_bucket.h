// DataKeyBucket: the data keys of a replicated log in a JetStream key-value bucket (R3, one
// value per key) beside the stream (docs/replication.md). Values are the keys as the vault
// wraps them under the master key (every node has the same master.key), or the vault's
// tombstone after an erasure; the bucket's key is the application id in hex, so any id is a
// valid key. create() is JetStream's create-if-absent: two nodes racing for one application
// end with one key. Thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "events/data_key_vault.h"
#include "events/replication/nats_connection.h"

typedef struct __kvStore kvStore;

namespace kakitome::replication {

class DataKeyBucket final : public DataKeyReplica {
  public:
    // Opens (creating when missing) the bucket. The connection must outlive the bucket.
    static Result<std::unique_ptr<DataKeyBucket>> open(NatsConnection& connection,
                                                       const std::string& bucket, int replicas);
    ~DataKeyBucket() override;

    Result<std::string> create(std::string_view application, std::string_view wrapped) override;
    Result<std::optional<std::string>> get(std::string_view application) override;
    Status erase(std::string_view application, std::string_view tombstone) override;
    // What every node of the cluster must share (the master key's fingerprint, the ledger's
    // verifier key): the first node records `value` under `name`; any other value is refused
    // (failed precondition), so a node with the wrong key file stops at its start instead of
    // failing later on every sealed field.
    Status agree(std::string_view name, std::string_view value);

  private:
    DataKeyBucket(NatsConnection& connection, std::string bucket)
        : connection_(connection), bucket_(std::move(bucket)) {}
    NatsConnection& connection_;
    std::string bucket_;
    kvStore* store_ = nullptr;
};

}  // namespace kakitome::replication
