#include "api/backup_job.h"

#include <nlohmann/json.hpp>

#include "events/erasure_journal.h"

namespace kakitome {

BackupJob::BackupJob(Database& database, const EventStore& store, const Ledger& ledger,
                     workflow::BackupSettings settings, std::filesystem::path data_directory)
    : database_(database),
      store_(store),
      ledger_(ledger),
      settings_(std::move(settings)),
      data_directory_(std::move(data_directory)) {}

Result<BackupInfo> BackupJob::run() {
    if (!configured()) {
        return Status::failed_precondition(
                   "no backup directory is configured (\"backup\": {\"directory\": ...} in the "
                   "configuration, or serve --backup-dir)")
            .with_reason("backup_not_configured");
    }
    const std::filesystem::path directory(settings_.directory);
    // Read before the backup starts: the backup holds at least this much.
    nlohmann::json metadata{{"head", store_.head().value}};
    auto checkpoint = ledger_.latest_checkpoint();
    if (!checkpoint.is_ok()) return checkpoint.status();
    if (checkpoint.value()) {
        metadata["checkpoint_size"] = checkpoint.value()->size;
        metadata["checkpoint"] = checkpoint.value()->note;
    }
    auto created = create_backup(database_, directory, metadata.dump(), settings_.keep);
    if (!created.is_ok()) {
        failures_.fetch_add(1);
        return created.status();
    }
    {
        // The backup exists whatever happens to the journal below: the schedule counts it.
        const std::lock_guard lock(mutex_);
        last_ = created.value();
        listed_ = true;
    }
    const Status merged = merge_erasure_journal(data_directory_ / kErasureJournalName,
                                                directory / kErasureJournalName);
    if (!merged.is_ok()) {
        failures_.fetch_add(1);
        return merged;
    }
    return created;
}

std::optional<BackupInfo> BackupJob::last() const {
    const std::lock_guard lock(mutex_);
    if (!listed_ && configured()) {
        listed_ = true;
        auto backups = list_backups(settings_.directory);
        if (backups.is_ok() && !backups->empty()) last_ = backups->back();
    }
    return last_;
}

bool BackupJob::due(std::int64_t now_seconds) const {
    if (!configured() || settings_.every_minutes <= 0) return false;
    const auto previous = last();
    return !previous || now_seconds - previous->created_at_seconds >= settings_.every_minutes * 60;
}

}  // namespace kakitome
