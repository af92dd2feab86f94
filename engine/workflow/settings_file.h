// The configuration file (`--config FILE`, JSON; docs/workflow.md): workflow settings, the
// SMTP server for outgoing mail, and the storage that holds the video. Secrets are never in
// the file itself: `secret_access_key_file` and `password_file` name 0600 files, or the
// environment supplies AWS_SECRET_ACCESS_KEY / KAKITOME_SMTP_PASSWORD.
// Unknown keys are errors, so a typo cannot silently fall back to a default.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/mail/mail_outbox.h"
#include "engine/workflow/retention_policy.h"
#include "engine/workflow/workflow_config.h"

namespace kakitome::workflow {

// "backup": {"directory": DIR, "keep": N, "every_minutes": M} (docs/operations.md). With a
// directory, erasures are journaled there too, by every command that reads this file.
struct BackupSettings {
    std::string directory;   // empty: no backups, erasures journaled in the data directory only
    std::uint32_t keep = 7;  // backups kept; older ones are deleted after each new one
    std::int64_t every_minutes = 0;  // `serve` backs up on this schedule; 0: only when asked
};

// "witnesses": [{"url": "https://witness.example/", "verifier_key": "name+id+key"}],
// "min_witnesses": K: the log sends each new checkpoint to each witness (C2SP tlog-witness) and
// reports a checkpoint with fewer than K cosignatures as missing them.
struct WitnessSettings {
    std::string url;  // the submission prefix; add-checkpoint is appended
    std::string verifier_key;
};

// "replication": {"mode": "replicated", "servers": ["nats://10.0.0.1:4222", ...], "node": "a",
// "stream": "KAKITOME", "replicas": 3, "lease_ms": 3000} (docs/replication.md). Absent or
// mode "embedded": the log lives in this node's RocksDB only (the default).
struct ReplicationSettings {
    bool replicated = false;
    std::vector<std::string> servers;
    std::string node;  // this node's name: the lease says which node is primary
    std::string stream = "KAKITOME";
    int replicas = 3;
    std::int64_t lease_ms = 3000;
};

struct Settings {
    WorkflowConfig workflow;
    mail::OutboxOptions outbox;
    BackupSettings backup;
    std::vector<WitnessSettings> witnesses;
    std::size_t min_witnesses = 0;
    // "tokens": {"expiry_days": N}: how long a new API token lives.
    std::int64_t token_expiry_days = 90;
    // "retention": {"after_close_business_days": N, "after_usage_period_days": M,
    // "check_every_minutes": K}: when personal data is erased by policy (absent: never).
    RetentionPolicy retention;
    // "log_level": "debug" | "info" | "warning" | "error": what serve writes on stderr.
    std::string log_level = "info";
    // "disk": {"reserve_free_bytes": N}: free space kept on the data directory's file system
    // (new data is refused below it); absent: the store's default. --reserve-free-bytes wins.
    std::optional<std::uint64_t> reserve_free_bytes;
    // "memory": {"block_cache_bytes": N}: the one block cache every table of the store is read
    // through, their index blocks included (at least 8 MiB); absent: the store's default, 64 MiB.
    std::optional<std::uint64_t> block_cache_bytes;
    ReplicationSettings replication;
};

// An empty path gives the defaults (video on a local placeholder endpoint, SMTP on
// 127.0.0.1:25). invalid_argument names the offending key.
Result<Settings> load_settings(const std::string& path);

// True while the video storage is still the built-in demo placeholder (endpoint 127.0.0.1:9000
// or the demo access key): fine for `make demo`, never for a real campaign, so `serve` refuses
// it without --demo.
bool uses_demo_storage(const Settings& settings);

}  // namespace kakitome::workflow
