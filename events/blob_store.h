// BlobStore: content-addressed storage for large payloads (raw mails, attachments) in the
// `blobs` column family, encrypted at rest with AES-256-GCM under a key derived from the master
// key. A blob's id is the SHA-256 of its plaintext (hex); storing the same bytes twice stores
// them once. get() re-checks the plaintext against the id, so a swapped or damaged blob is
// reported as corruption. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "events/base/aead.h"
#include "events/base/status.h"
#include "events/database.h"

namespace kakitome {

inline constexpr std::size_t kMaxBlobBytes = 256 * 1024 * 1024;

class BlobStore {
  public:
    BlobStore(std::shared_ptr<Database> database, const AeadKey& master_key);

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
    std::shared_ptr<Database> database_;
    AeadKey key_;
};

}  // namespace kakitome
