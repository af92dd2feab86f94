// Per-application data keys for PII in event payloads (docs/design.md §5). Each application has a
// random AES-256 key, stored wrapped (AES-256-GCM under a key derived from the master key) in the
// `data_keys` column family, the only mutable data kakitome keeps. Destroying the key
// (crypto-shredding) leaves a tombstone, so "erased" and "never existed" stay distinguishable,
// and compacts the family so the old wrapped key leaves the SST files; the erasure is written to
// the erasure journal first (events/erasure_journal.h), so no backup restored later can bring
// the key back. Thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "events/base/aead.h"
#include "events/base/status.h"
#include "events/database.h"
#include "events/erasure_journal.h"

namespace kakitome {

inline constexpr const char* kDataKeysFamily = "data_keys";

// Where a replicated node keeps the wrapped data keys (docs/replication.md): beside the
// replicated log, so that every node finds a key another node created and an erasure reaches
// every node. With a replica the vault asks it first and writes new keys only there.
class DataKeyReplica {
  public:
    virtual ~DataKeyReplica() = default;
    // Stores `wrapped` unless the application has a value already; returns the value stored now
    // (another node's key when it was first). Durable on the replica before it returns.
    virtual Result<std::string> create(std::string_view application, std::string_view wrapped) = 0;
    // The stored value (a wrapped key or the tombstone); nullopt when there is none.
    virtual Result<std::optional<std::string>> get(std::string_view application) = 0;
    // Replaces whatever is stored with `tombstone`.
    virtual Status erase(std::string_view application, std::string_view tombstone) = 0;
};

class DataKeyVault {
  public:
    // The database must have been opened with kDataKeysFamily among its extra families.
    // With `replica` (a node of a replicated log), keys are created on and read from the
    // replica first; the local family holds only keys made before the node joined.
    static Result<std::unique_ptr<DataKeyVault>> open(
        std::shared_ptr<Database> database, const AeadKey& master_key, ErasureJournal journal,
        std::shared_ptr<DataKeyReplica> replica = nullptr);

    // Joining a replicated log: moves every key (and tombstone) of the local family to the
    // replica, then removes them here, so no copy outlives an erasure made on another node.
    // A key the replica already has for the application is kept as the replica has it.
    Status move_local_keys_to_replica();

    // Creates the application's key, or returns the existing one.
    Result<AeadKey> create(std::string_view application);
    // not_found when there is none; unavailable with reason "erased" after destroy().
    Result<AeadKey> get(std::string_view application) const;
    // Journals the erasure, then leaves a tombstone. Destroying an erased key again is ok.
    Status destroy(std::string_view application);
    // True when the key exists and has not been destroyed.
    Result<bool> is_live(std::string_view application) const;

    // Seals a JSON text for the application (base64 of nonce || ciphertext || tag).
    Result<std::string> seal(std::string_view application, std::string_view plaintext);
    Result<std::string> open_sealed(std::string_view application, std::string_view sealed) const;

  private:
    DataKeyVault(std::shared_ptr<Database> database, const AeadKey& master_key,
                 ErasureJournal journal, std::shared_ptr<DataKeyReplica> replica);
    Result<AeadKey> unwrap(std::string_view application, const std::string& stored) const;
    std::shared_ptr<Database> database_;
    std::shared_ptr<DataKeyReplica> replica_;
    ErasureJournal journal_;
    AeadKey wrapping_key_;
};

}  // namespace kakitome
