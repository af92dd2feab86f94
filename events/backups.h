// Backups of a live database (RocksDB BackupEngine): consistent while writes go on (the files
// of one moment, flushed first), incremental (a file already in the backup directory is not
// copied again), checksummed, and pruned to the newest `keep`. The backup directory holds
// nothing but backups and the erasure journal (events/erasure_journal.h).
//
// Each backup carries `metadata`, a JSON text the caller chooses (the head and the latest signed
// checkpoint at the time, so that `list` can say what a backup holds without restoring it).
// Keys (master key, ledger key) are never in a backup: keep them apart (docs/operations.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "events/base/status.h"
#include "events/database.h"

namespace kakitome {

struct BackupInfo {
    std::uint32_t id = 0;
    std::int64_t created_at_seconds = 0;
    std::uint64_t bytes = 0;  // the backup's files, shared ones counted in each backup
    std::uint32_t files = 0;
    std::string metadata;
};

// Backs `database` up into `directory` (created 0700 when missing), verifies the new backup's
// checksums, then deletes all but the newest `keep` (at least 1). Fails on a read-only database.
Result<BackupInfo> create_backup(const Database& database, const std::filesystem::path& directory,
                                 const std::string& metadata, std::uint32_t keep);

// The backups in `directory`, oldest first (an empty list for an empty or missing directory).
Result<std::vector<BackupInfo>> list_backups(const std::filesystem::path& directory);

// Re-reads every file of backup `id` and checks its size and checksum; corruption names the file.
Status verify_backup(const std::filesystem::path& directory, std::uint32_t id);

// Restores backup `id` into `target`, which must not exist (created 0700).
Status restore_backup(const std::filesystem::path& directory, std::uint32_t id,
                      const std::filesystem::path& target);

}  // namespace kakitome
