// Backups of the running system (docs/operations.md): the store's database through RocksDB's
// BackupEngine (events/backups.h) into the configured backup directory, with what the backup
// holds written into it (the head, the latest signed checkpoint), and the data directory's
// erasure journal carried over to the backup directory's. `serve` runs one on its schedule and
// on POST /v1/backups; `kakitome backup` runs one when no server holds the directory.
// Thread-safe: backups take turns.
#pragma once

#include <atomic>
#include <filesystem>
#include <mutex>
#include <optional>

#include "engine/workflow/settings_file.h"
#include "events/backups.h"
#include "events/database.h"
#include "events/event_store.h"
#include "events/ledger.h"

namespace kakitome {

class BackupJob {
  public:
    BackupJob(Database& database, const EventStore& store, const Ledger& ledger,
              workflow::BackupSettings settings, std::filesystem::path data_directory);

    bool configured() const { return !settings_.directory.empty(); }
    const workflow::BackupSettings& settings() const { return settings_; }
    // failed_precondition (reason backup_not_configured) without a backup directory.
    Result<BackupInfo> run();
    // The last backup this process made, or else the newest in the directory.
    std::optional<BackupInfo> last() const;
    // True when a schedule is set and `every_minutes` passed since the last backup.
    bool due(std::int64_t now_seconds) const;
    std::uint64_t failures() const { return failures_.load(); }

  private:
    Database& database_;
    const EventStore& store_;
    const Ledger& ledger_;
    workflow::BackupSettings settings_;
    std::filesystem::path data_directory_;
    mutable std::mutex mutex_;
    mutable std::optional<BackupInfo> last_;
    mutable bool listed_ = false;
    std::atomic<std::uint64_t> failures_{0};
};

}  // namespace kakitome
