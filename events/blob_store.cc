#include "events/blob_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "events/base/sha256.h"
#include "events/rocksdb_status.h"

namespace kakitome {

BlobStore::BlobStore(std::shared_ptr<Database> database, const AeadKey& master_key,
                     std::shared_ptr<BlobReplica> replica)
    : database_(std::move(database)),
      key_(derive_key(master_key, "kakitome blob store v1")),
      replica_(std::move(replica)) {}

Result<std::optional<std::string>> BlobStore::sealed_of(std::string_view blob_id) const {
    std::string sealed;
    auto got = database_->db()->Get(rocksdb::ReadOptions(), database_->blobs(),
                                    std::string(blob_id), &sealed);
    if (got.ok()) return std::optional<std::string>{std::move(sealed)};
    if (!got.IsNotFound()) return from_rocksdb(got, "reading blob");
    if (replica_) return replica_->get(blob_id);
    return std::optional<std::string>{};
}

Result<bool> BlobStore::contains(std::string_view blob_id) const {
    if (!sha256_from_hex(blob_id)) return Status::invalid_argument("blob id is not 64 hex digits");
    auto sealed = sealed_of(blob_id);
    if (!sealed.is_ok()) return sealed.status();
    return sealed->has_value();
}

Result<std::uint64_t> BlobStore::stored_bytes() const {
    auto flushed = database_->db()->Flush(rocksdb::FlushOptions(), database_->blobs());
    if (!flushed.ok()) return from_rocksdb(flushed, "flushing blobs");
    std::uint64_t bytes = 0;
    if (!database_->db()->GetIntProperty(database_->blobs(), "rocksdb.total-sst-files-size",
                                         &bytes))
        return Status::internal("RocksDB did not report the blob files' size");
    return bytes;
}

namespace {

Status compact_blobs(Database& database) {
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    (void)database.db()->Flush(rocksdb::FlushOptions(), database.blobs());
    auto compacted = database.db()->CompactRange(compact, database.blobs(), nullptr, nullptr);
    if (!compacted.ok()) return from_rocksdb(compacted, "compacting blobs");
    rocksdb::WriteOptions options;
    options.sync = true;
    return from_rocksdb(database.db()->Delete(options, database.blobs(),
                                              std::string(BlobStore::kErasurePendingKey)),
                        "clearing the erasure marker");
}

}  // namespace

Status BlobStore::finish_interrupted_erasure() {
    std::string ignored;
    auto marker = database_->db()->Get(rocksdb::ReadOptions(), database_->blobs(),
                                       std::string(kErasurePendingKey), &ignored);
    if (marker.IsNotFound()) return Status::ok();
    if (!marker.ok()) return from_rocksdb(marker, "reading the erasure marker");
    return compact_blobs(*database_);
}

Result<std::uint64_t> BlobStore::erase(const std::vector<std::string>& blob_ids) {
    if (blob_ids.empty()) return std::uint64_t{0};
    for (const auto& id : blob_ids) {
        if (!sha256_from_hex(id)) return Status::invalid_argument("blob id is not 64 hex digits");
    }
    if (replica_)
        for (const auto& id : blob_ids) KAKITOME_RETURN_IF_ERROR(replica_->erase(id));
    auto before = stored_bytes();
    if (!before.is_ok()) return before.status();
    rocksdb::WriteBatch batch;
    batch.Put(database_->blobs(), std::string(kErasurePendingKey), "1");
    for (const auto& id : blob_ids) batch.Delete(database_->blobs(), id);
    rocksdb::WriteOptions options;
    options.sync = true;
    auto deleted = database_->db()->Write(options, &batch);
    if (!deleted.ok()) return from_rocksdb(deleted, "erasing blobs");
    KAKITOME_RETURN_IF_ERROR(compact_blobs(*database_));
    auto after = stored_bytes();
    if (!after.is_ok()) return after.status();
    return before.value() > after.value() ? before.value() - after.value() : std::uint64_t{0};
}

Result<std::string> BlobStore::put(std::string_view bytes) {
    if (bytes.size() > kMaxBlobBytes) {
        return Status::resource_exhausted("blob of " + std::to_string(bytes.size()) +
                                          " bytes is over the limit");
    }
    const std::string id = to_hex(sha256(bytes));
    auto present = contains(id);
    if (!present.is_ok()) return present.status();
    if (present.value()) return id;
    // The id is the associated data: a sealed blob cannot be moved under another id.
    KAKITOME_RETURN_IF_ERROR(database_->check_space(bytes.size()));
    auto sealed = aead_seal(key_, bytes, id);
    if (!sealed.is_ok()) return sealed.status();
    if (replica_) {
        KAKITOME_RETURN_IF_ERROR(replica_->put(id, sealed.value()));
        return id;
    }
    rocksdb::WriteOptions options;
    options.sync = true;
    auto put = database_->db()->Put(options, database_->blobs(), id, sealed.value());
    if (!put.ok()) {
        auto failed = from_rocksdb(put, "writing blob");
        database_->note_write_failure(failed);
        return failed;
    }
    return id;
}

Result<std::string> BlobStore::get(std::string_view blob_id) const {
    if (!sha256_from_hex(blob_id)) return Status::invalid_argument("blob id is not 64 hex digits");
    auto sealed = sealed_of(blob_id);
    if (!sealed.is_ok()) return sealed.status();
    if (!sealed->has_value()) return Status::not_found("no blob " + std::string(blob_id));
    auto plaintext = aead_open(key_, sealed->value(), blob_id);
    if (!plaintext.is_ok()) {
        return Status::corruption("blob " + std::string(blob_id) + ": " +
                                  plaintext.status().message());
    }
    if (to_hex(sha256(plaintext.value())) != blob_id) {
        return Status::corruption("blob " + std::string(blob_id) + " does not match its id");
    }
    return plaintext;
}

Status BlobStore::move_local_blobs_to_replica() {
    if (!replica_) return Status::failed_precondition("the blob store has no replica");
    std::vector<std::string> moved;
    {
        std::unique_ptr<rocksdb::Iterator> it(
            database_->db()->NewIterator(rocksdb::ReadOptions(), database_->blobs()));
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
            const std::string id = it->key().ToString();
            if (!sha256_from_hex(id)) continue;  // the erasure marker
            KAKITOME_RETURN_IF_ERROR(replica_->put(id, it->value().ToString()));
            moved.push_back(id);
        }
        if (!it->status().ok()) return from_rocksdb(it->status(), "reading blobs");
    }
    if (moved.empty()) return Status::ok();
    // Erased here only: the replica keeps them.
    auto replica = std::move(replica_);
    auto erased = erase(moved);
    replica_ = std::move(replica);
    return erased.status();
}

}  // namespace kakitome
