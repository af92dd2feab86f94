// BlobStore: content-addressed storage for large payloads (raw mails, attachments) in the
// `blobs` column family, encrypted at rest with AES-256-GCM under a key derived from the master
// key. A blob's id is the SHA-256 of its plaintext (hex); storing the same bytes twice stores
// them once. get() re-checks the plaintext against the id, so a swapped or damaged blob is
// reported as corruption. Thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/base/aead.h"
#include "events/base/status.h"
#include "events/database.h"

namespace kakitome {

inline constexpr std::size_t kMaxBlobBytes = 256 * 1024 * 1024;

// Where a replicated node keeps blobs (docs/replication.md): beside the replicated log, so the
// node that takes over reads the attachments and raw mails another node received, and an erasure
// removes them for every node. Blobs are handed over sealed (the store's encryption at rest, under
// the master key every node of a cluster shares).
class BlobReplica {
  public:
    virtual ~BlobReplica() = default;
    // Durable on the replica before it returns; storing an id twice is harmless.
    virtual Status put(std::string_view blob_id, std::string_view sealed) = 0;
    // The sealed bytes; nullopt when the replica has no such blob.
    virtual Result<std::optional<std::string>> get(std::string_view blob_id) = 0;
    virtual Status erase(std::string_view blob_id) = 0;
};

class BlobStore {
  public:
    // With `replica` (a node of a replicated log) blobs are written to and read from the
    // replica only; the local family keeps only blobs stored before the node joined, until
    // move_local_blobs_to_replica().
    BlobStore(std::shared_ptr<Database> database, const AeadKey& master_key,
              std::shared_ptr<BlobReplica> replica = nullptr);
    // Joining a replicated log: copies every local blob to the replica, then erases it here.
    Status move_local_blobs_to_replica();

    // Returns the blob id (64 hex digits). Synced to disk before returning.
    Result<std::string> put(std::string_view bytes);
    Result<std::string> get(std::string_view blob_id) const;
    Result<bool> contains(std::string_view blob_id) const;
    // Removes blobs for good (erasure): deletes them, then compacts the family so the
    // ciphertext leaves the SST files. Unknown ids are ignored. Returns the bytes by which the
    // family's files shrank (what the disk got back; 0 when nothing was there). The deletes are
    // written with a marker (kErasurePendingKey) that only a finished compaction removes.
    Result<std::uint64_t> erase(const std::vector<std::string>& blob_ids);
    // After a crash (or a failed compaction) between an erasure's deletes and its compaction,
    // the deleted ciphertext is still in the files and no id says so: the marker does. This
    // compacts then. Services::open and every retention sweep call it; cheap when not needed.
    Status finish_interrupted_erasure();
    static constexpr std::string_view kErasurePendingKey = "erasure-pending";
    // The size of the family's files on disk (after flushing what is in memory).
    Result<std::uint64_t> stored_bytes() const;

  private:
    Result<std::optional<std::string>> sealed_of(std::string_view blob_id) const;
    std::shared_ptr<Database> database_;
    AeadKey key_;
    std::shared_ptr<BlobReplica> replica_;
};

}  // namespace kakitome
