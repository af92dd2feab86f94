// The events of running kakitome (the `operations` stream): a backup restored, and what the
// restore found. They make the restore itself part of the history auditors read: which backup,
// what it held, which erasures made after it were applied again, and a rollback behind a
// checkpoint the outside world had seen, when an operator accepted one (docs/operations.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "engine/domain/payload_codec.h"

namespace kakitome::domain {

inline constexpr std::string_view kOperationsStream = "operations";

struct BackupRestored {
    static constexpr std::string_view kType = "BackupRestored";
    static constexpr int kSchema = 1;
    std::int64_t backup_id = 0;
    std::int64_t backup_created_at = 0;  // seconds since the epoch
    std::int64_t restored_head = 0;      // the last seq the backup held
    std::int64_t checkpoint_size = 0;    // its latest signed checkpoint, verified on restore
    std::int64_t known_checkpoints = 0;  // checkpoints from outside it was checked against
    std::vector<std::string> erasures_reapplied;  // data keys destroyed after the backup
    static constexpr auto fields() {
        using E = BackupRestored;
        return std::tuple{field("backup_id", &E::backup_id),
                          field("backup_created_at", &E::backup_created_at),
                          field("restored_head", &E::restored_head),
                          field("checkpoint_size", &E::checkpoint_size),
                          field("known_checkpoints", &E::known_checkpoints),
                          field("erasures_reapplied", &E::erasures_reapplied)};
    }
};

// A restore went back behind a checkpoint seen outside (an export, a witness): events between
// restored_size and known_size were acknowledged once and are lost. Recorded only when the
// operator accepted it (--accept-rollback) with a reason.
struct LedgerRolledBack {
    static constexpr std::string_view kType = "LedgerRolledBack";
    static constexpr int kSchema = 1;
    std::int64_t known_size = 0;
    std::string known_root;  // base64, as in the checkpoint; empty when a witness named the size
    std::int64_t restored_size = 0;
    std::string reason;
    static constexpr auto fields() {
        using E = LedgerRolledBack;
        return std::tuple{field("known_size", &E::known_size), field("known_root", &E::known_root),
                          field("restored_size", &E::restored_size), field("reason", &E::reason)};
    }
};

}  // namespace kakitome::domain
