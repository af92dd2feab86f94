#include "events/backups.h"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/utilities/backup_engine.h>

#include <memory>
#include <mutex>

#include "events/private_directory.h"
#include "events/rocksdb_status.h"

namespace kakitome {

namespace {

// One BackupEngine writes a backup directory at a time: a scheduled backup and one asked for
// through the API take turns.
std::mutex& backup_mutex() {
    static std::mutex mutex;
    return mutex;
}

rocksdb::BackupEngineOptions engine_options(const std::filesystem::path& directory) {
    rocksdb::BackupEngineOptions options(directory.string());
    options.sync = true;  // a backup that was reported done survives a power loss
    options.share_table_files = true;
    options.share_files_with_checksum = true;  // incremental, and a damaged file is caught
    return options;
}

BackupInfo info_of(const rocksdb::BackupInfo& info) {
    return {info.backup_id, info.timestamp, info.size, info.number_files, info.app_metadata};
}

}  // namespace

Result<BackupInfo> create_backup(const Database& database, const std::filesystem::path& directory,
                                 const std::string& metadata, std::uint32_t keep) {
    if (database.read_only())
        return Status::failed_precondition("a read-only database cannot be backed up");
    KAKITOME_RETURN_IF_ERROR(create_private_directory(directory));
    const std::lock_guard lock(backup_mutex());
    rocksdb::BackupEngine* raw = nullptr;
    auto opened =
        rocksdb::BackupEngine::Open(engine_options(directory), rocksdb::Env::Default(), &raw);
    if (!opened.ok()) return from_rocksdb(opened, "opening the backup directory");
    std::unique_ptr<rocksdb::BackupEngine> engine(raw);
    rocksdb::CreateBackupOptions options;
    options.flush_before_backup = true;
    rocksdb::BackupID id = 0;
    auto created = engine->CreateNewBackupWithMetadata(options, database.db(), metadata, &id);
    if (!created.ok()) return from_rocksdb(created, "creating a backup");
    auto verified = engine->VerifyBackup(id, /*verify_with_checksum=*/true);
    if (!verified.ok()) return from_rocksdb(verified, "verifying the new backup");
    auto purged = engine->PurgeOldBackups(keep < 1 ? 1 : keep);
    if (!purged.ok()) return from_rocksdb(purged, "deleting old backups");
    rocksdb::BackupInfo info;
    auto got = engine->GetBackupInfo(id, &info);
    if (!got.ok()) return from_rocksdb(got, "reading the new backup");
    return info_of(info);
}

namespace {

Result<std::unique_ptr<rocksdb::BackupEngineReadOnly>> open_for_reading(
    const std::filesystem::path& directory) {
    if (!std::filesystem::is_directory(directory))
        return Status::not_found("no backup directory " + directory.string());
    rocksdb::BackupEngineReadOnly* raw = nullptr;
    auto opened = rocksdb::BackupEngineReadOnly::Open(engine_options(directory),
                                                      rocksdb::Env::Default(), &raw);
    if (!opened.ok()) return from_rocksdb(opened, "opening the backup directory");
    return std::unique_ptr<rocksdb::BackupEngineReadOnly>(raw);
}

}  // namespace

Result<std::vector<BackupInfo>> list_backups(const std::filesystem::path& directory) {
    std::vector<BackupInfo> backups;
    if (!std::filesystem::exists(directory)) return backups;
    auto engine = open_for_reading(directory);
    if (!engine.is_ok()) return engine.status();
    std::vector<rocksdb::BackupInfo> infos;
    engine.value()->GetBackupInfo(&infos);
    for (const auto& info : infos) backups.push_back(info_of(info));
    return backups;
}

Status verify_backup(const std::filesystem::path& directory, std::uint32_t id) {
    auto engine = open_for_reading(directory);
    if (!engine.is_ok()) return engine.status();
    rocksdb::BackupInfo info;
    auto got = engine.value()->GetBackupInfo(id, &info);
    if (!got.ok()) return from_rocksdb(got, "backup " + std::to_string(id));
    return from_rocksdb(engine.value()->VerifyBackup(id, /*verify_with_checksum=*/true),
                        "verifying backup " + std::to_string(id));
}

Status restore_backup(const std::filesystem::path& directory, std::uint32_t id,
                      const std::filesystem::path& target) {
    if (std::filesystem::exists(target))
        return Status::failed_precondition(target.string() +
                                           " exists; restore into a new directory")
            .with_reason("target_exists");
    auto engine = open_for_reading(directory);
    if (!engine.is_ok()) return engine.status();
    KAKITOME_RETURN_IF_ERROR(verify_backup(directory, id));
    KAKITOME_RETURN_IF_ERROR(create_private_directory(target));
    auto restored = engine.value()->RestoreDBFromBackup(rocksdb::RestoreOptions(), id,
                                                        target.string(), target.string());
    return from_rocksdb(restored, "restoring backup " + std::to_string(id));
}

}  // namespace kakitome
