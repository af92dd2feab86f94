#include "events/data_key_vault.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <mutex>

#include "events/base/base64.h"
#include "events/base/timestamp.h"
#include "events/rocksdb_status.h"

namespace kakitome {

namespace {

constexpr std::string_view kTombstone = "erased";

std::mutex& create_mutex() {
    static std::mutex mutex;  // create() is read-then-write; serialise it
    return mutex;
}

}  // namespace

DataKeyVault::DataKeyVault(std::shared_ptr<Database> database, const AeadKey& master_key,
                           ErasureJournal journal, std::shared_ptr<DataKeyReplica> replica)
    : database_(std::move(database)),
      replica_(std::move(replica)),
      journal_(std::move(journal)),
      wrapping_key_(derive_key(master_key, "kakitome data key wrapping v1")) {}

Result<std::unique_ptr<DataKeyVault>> DataKeyVault::open(std::shared_ptr<Database> database,
                                                         const AeadKey& master_key,
                                                         ErasureJournal journal,
                                                         std::shared_ptr<DataKeyReplica> replica) {
    if (!database || !database->family(kDataKeysFamily)) {
        return Status::invalid_argument("the database was opened without the data_keys family");
    }
    return std::unique_ptr<DataKeyVault>(
        new DataKeyVault(std::move(database), master_key, std::move(journal), std::move(replica)));
}

Result<AeadKey> DataKeyVault::unwrap(std::string_view application,
                                     const std::string& stored) const {
    if (stored == kTombstone) {
        return Status::unavailable("the personal data of " + std::string(application) +
                                   " was erased")
            .with_reason("erased");
    }
    auto key = aead_open(wrapping_key_, stored, application);
    if (!key.is_ok() || key->size() != 32)
        return Status::corruption(
            "data key of " + std::string(application) + " does not unwrap" +
            (replica_ ? std::string(" (every node of a replicated log needs the same master key)")
                      : std::string()));
    AeadKey out{};
    std::copy(key->begin(), key->end(), out.begin());
    return out;
}

Result<AeadKey> DataKeyVault::get(std::string_view application) const {
    // The replica first: an erasure made on another node must win over a local copy.
    if (replica_) {
        auto replicated = replica_->get(application);
        if (!replicated.is_ok()) return replicated.status();
        if (replicated->has_value()) return unwrap(application, replicated->value());
    }
    std::string wrapped;
    auto got = database_->db()->Get(rocksdb::ReadOptions(), database_->family(kDataKeysFamily),
                                    std::string(application), &wrapped);
    if (got.IsNotFound()) return Status::not_found("no data key for " + std::string(application));
    if (!got.ok()) return from_rocksdb(got, "reading data key");
    return unwrap(application, wrapped);
}

Result<AeadKey> DataKeyVault::create(std::string_view application) {
    std::lock_guard lock(create_mutex());
    auto existing = get(application);
    if (existing.is_ok() || existing.status().code() != StatusCode::not_found) return existing;
    AeadKey key{};
    random_bytes(key.data(), key.size());
    auto wrapped = aead_seal(
        wrapping_key_, std::string_view(reinterpret_cast<const char*>(key.data()), key.size()),
        application);
    if (!wrapped.is_ok()) return wrapped.status();
    if (replica_) {
        // Only on the replica: the node that wins a race keeps its key, the other uses it.
        auto stored = replica_->create(application, wrapped.value());
        if (!stored.is_ok()) return stored.status();
        if (stored.value() != wrapped.value()) return unwrap(application, stored.value());
        return key;
    }
    rocksdb::WriteOptions options;
    options.sync = true;
    auto put = database_->db()->Put(options, database_->family(kDataKeysFamily),
                                    std::string(application), wrapped.value());
    if (!put.ok()) return from_rocksdb(put, "writing data key");
    return key;
}

Result<bool> DataKeyVault::is_live(std::string_view application) const {
    auto key = get(application);
    if (key.is_ok()) return true;
    if (key.status().code() == StatusCode::not_found ||
        key.status().code() == StatusCode::unavailable)
        return false;
    return key.status();
}

Status DataKeyVault::destroy(std::string_view application) {
    KAKITOME_RETURN_IF_ERROR(journal_.record(application, system_clock_ms()));
    if (replica_) KAKITOME_RETURN_IF_ERROR(replica_->erase(application, kTombstone));
    rocksdb::WriteOptions options;
    options.sync = true;
    auto put = database_->db()->Put(options, database_->family(kDataKeysFamily),
                                    std::string(application), std::string(kTombstone));
    if (!put.ok()) return from_rocksdb(put, "erasing data key");
    // Push the overwrite through to the SST files so the old wrapped key is not left on disk.
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    (void)database_->db()->Flush(rocksdb::FlushOptions(), database_->family(kDataKeysFamily));
    auto compacted = database_->db()->CompactRange(compact, database_->family(kDataKeysFamily),
                                                   nullptr, nullptr);
    return from_rocksdb(compacted, "compacting data keys");
}

Status DataKeyVault::move_local_keys_to_replica() {
    if (!replica_) return Status::failed_precondition("the vault has no replica");
    auto* family = database_->family(kDataKeysFamily);
    std::vector<std::pair<std::string, std::string>> local;
    {
        std::unique_ptr<rocksdb::Iterator> it(
            database_->db()->NewIterator(rocksdb::ReadOptions(), family));
        for (it->SeekToFirst(); it->Valid(); it->Next())
            local.emplace_back(it->key().ToString(), it->value().ToString());
        if (!it->status().ok()) return from_rocksdb(it->status(), "reading data keys");
    }
    if (local.empty()) return Status::ok();
    for (const auto& [application, stored] : local) {
        if (stored == kTombstone) {
            KAKITOME_RETURN_IF_ERROR(replica_->erase(application, kTombstone));
        } else {
            auto kept = replica_->create(application, stored);
            if (!kept.is_ok()) return kept.status();
        }
    }
    rocksdb::WriteBatch removal;
    for (const auto& entry : local) removal.Delete(family, entry.first);
    rocksdb::WriteOptions options;
    options.sync = true;
    if (auto removed = database_->db()->Write(options, &removal); !removed.ok())
        return from_rocksdb(removed, "removing moved data keys");
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    (void)database_->db()->Flush(rocksdb::FlushOptions(), family);
    return from_rocksdb(database_->db()->CompactRange(compact, family, nullptr, nullptr),
                        "compacting data keys");
}

Result<std::string> DataKeyVault::seal(std::string_view application, std::string_view plaintext) {
    auto key = create(application);
    if (!key.is_ok()) return key.status();
    auto sealed = aead_seal(key.value(), plaintext, application);
    if (!sealed.is_ok()) return sealed.status();
    return base64_encode(sealed.value());
}

Result<std::string> DataKeyVault::open_sealed(std::string_view application,
                                              std::string_view sealed) const {
    auto key = get(application);
    if (!key.is_ok()) return key.status();
    auto bytes = base64_decode(sealed);
    if (!bytes.is_ok()) return Status::corruption("sealed value is not base64");
    return aead_open(key.value(), bytes.value(), application);
}

}  // namespace kakitome
