// Services: the one composition of a running kakitome over a data directory. `kakitome serve`,
// the writing subcommands and the tests all obtain their parts here, built once, in one order:
//
//   master key ─► Database ─► EventStore ─► BlobStore, DataKeyVault ─► Ledger (signing key)
//              ─► IntakeService, PrincipalRegistry, WorkflowCommands ─► WorkflowWorker
//                 (projections, disclosure index, timers, outbox, ledger tree and checkpoints)
//              ─► BackupJob (the backup directory, when configured), CheckpointWitnessing,
//                 RetentionSweep (the retention policy, when configured)
//   replicated (settings.replication, docs/replication.md): NATS connection ─► JetStreamLog
//              (the store's ReplicationSink) and PrimaryLease ─► ReplicationNode
//
// Every accessor returns a reference and every consumer takes references, so a part that the
// API or the worker needs cannot be left out: forgetting one fails to compile instead of
// answering 503 at run time (the defect this shape replaces).
//
// open() fails with a Status naming what could not be opened; when another process (a running
// `kakitome serve`) holds the directory, the status says so (is_locked_by_another_process) and
// the caller names the alternative. Thread-safety is each part's own (see their headers).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>

#include "api/auth/principals.h"
#include "api/backup_job.h"
#include "api/witness/checkpoint_witnessing.h"
#include "engine/intake/intake_service.h"
#include "engine/retention/retention_sweep.h"
#include "engine/workflow/settings_file.h"
#include "engine/workflow/workflow_commands.h"
#include "engine/workflow/workflow_worker.h"
#include "events/base/status.h"
#include "events/base/timestamp.h"
#include "events/blob_store.h"
#include "events/data_key_vault.h"
#include "events/event_store.h"
#include "events/ledger.h"
#include "events/replication/data_key_bucket.h"
#include "events/replication/replication_node.h"
#include "projections/read_models.h"

namespace kakitome {

inline constexpr const char* kLedgerOrigin = "kakitome.example/ledger";

struct ServiceOptions {
    std::filesystem::path data_directory;
    std::filesystem::path master_key_file;  // empty: DATA/master.key (created 0600 on first use)
    std::filesystem::path ledger_key_file;  // empty: DATA/ledger.key (created 0600 on first use)
    workflow::Settings settings;
    intake::MailLimits mail_limits;
    // Free space kept on the data directory's file system (DatabaseOptions).
    std::uint64_t reserved_free_bytes = 64ull * 1024 * 1024;
    std::function<std::int64_t()> clock_ms = system_clock_ms;
    std::uint64_t checkpoint_every_events = 1000;
    std::int64_t checkpoint_every_seconds = 60;
    // sync (fsync before an append is acknowledged) is the product's; tests may buffer.
    Durability durability = Durability::sync;
    // The clock stamped on events (empty: the real clock; tests fix it).
    std::function<std::int64_t()> event_clock_ms;
    // A replicated data directory (settings.replication): true joins the cluster (serve: the
    // node may become primary); false opens the store for reading only, every append refused
    // with the reason (a command-line tool must not write beside the replicated log).
    bool join_replication = false;
    // Fold the read models up to the log's head before open() returns. `serve` says false: it
    // listens at once and folds on the worker's thread, answering the routes that read them with
    // 503 catching_up meanwhile (a first start on a long log folds for minutes).
    bool fold_projections_on_open = true;
};

class Services {
  public:
    // Opens everything and starts the worker (loads the stored projections and catches them up).
    static Result<std::unique_ptr<Services>> open(ServiceOptions options);
    ~Services();
    Services(const Services&) = delete;
    Services& operator=(const Services&) = delete;

    const ServiceOptions& options() const { return options_; }
    const workflow::Settings& settings() const { return options_.settings; }
    const workflow::WorkflowConfig& workflow_config() const { return options_.settings.workflow; }
    std::int64_t now_ms() const { return options_.clock_ms(); }
    const std::function<std::int64_t()>& clock() const { return options_.clock_ms; }
    const AeadKey& master_key() const { return master_key_; }

    Database& database() { return *database_; }
    EventStore& store() { return *store_; }
    BlobStore& blobs() { return *blobs_; }
    DataKeyVault& vault() { return *vault_; }
    Ledger& ledger() { return *ledger_; }
    // Where the ledger's signing key was read from (readiness checks it is still readable).
    const std::filesystem::path& ledger_key_file() const { return ledger_key_file_; }
    intake::IntakeService& intake() { return *intake_; }
    auth::PrincipalRegistry& principals() { return *principals_; }
    workflow::WorkflowCommands& commands() { return *commands_; }
    WorkflowWorker& worker() { return *worker_; }
    const ReadModels& read_models() const { return *read_models_; }
    // The records the worker's timers fire from (the queue's), for a scheduler of one's own.
    workflow::ApplicationRecords& application_records() { return *read_models_; }
    const DisclosureIndex& disclosures() const { return read_models_->disclosures(); }
    BackupJob& backups() { return *backups_; }
    witness::CheckpointWitnessing& witnessing() { return *witnessing_; }
    retention::RetentionSweep& retention() { return *retention_; }
    // The node of a replicated store that joined its cluster; nullptr when embedded.
    replication::ReplicationNode* replication() { return replication_node_.get(); }

  private:
    explicit Services(ServiceOptions options) : options_(std::move(options)) {}
    ServiceOptions options_;
    AeadKey master_key_{};
    // Declared first so that they are destroyed last: the store publishes through the log.
    std::unique_ptr<replication::NatsConnection> nats_;
    std::shared_ptr<replication::JetStreamLog> replicated_log_;
    std::unique_ptr<replication::PrimaryLease> lease_;
    std::shared_ptr<replication::DataKeyBucket> key_bucket_;
    std::shared_ptr<Database> database_;
    std::unique_ptr<EventStore> store_;
    std::unique_ptr<BlobStore> blobs_;
    std::unique_ptr<DataKeyVault> vault_;
    std::unique_ptr<Ledger> ledger_;
    std::filesystem::path ledger_key_file_;
    std::unique_ptr<intake::IntakeService> intake_;
    std::unique_ptr<auth::PrincipalRegistry> principals_;
    std::unique_ptr<workflow::WorkflowCommands> commands_;
    std::unique_ptr<ReadModels> read_models_;
    std::unique_ptr<WorkflowWorker> worker_;
    std::unique_ptr<BackupJob> backups_;
    std::unique_ptr<witness::CheckpointWitnessing> witnessing_;
    std::unique_ptr<retention::RetentionSweep> retention_;
    std::unique_ptr<replication::ReplicationNode> replication_node_;
};

}  // namespace kakitome
