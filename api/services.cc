#include "api/services.h"

#include "events/master_key.h"
#include "events/meta_store.h"
#include "events/note_signer.h"
#include "events/private_directory.h"
#include "events/replication/blob_bucket.h"
#include "events/replication/data_key_bucket.h"
#include "events/replication/jetstream_start.h"
#include "projections/disclosure_index.h"
#include "projections/projection_runner.h"

namespace kakitome {

namespace {

// The sink of a replicated store opened by a tool rather than a node: nothing is published.
class NoReplicationSink final : public ReplicationSink {
  public:
    Status publish(Seq, const std::vector<std::string>&) override {
        return Status::unavailable("this process did not join the replicated log");
    }
};

// Set in the meta family when a data directory first joins a replicated log: the stream's name.
constexpr const char* kReplicatedStreamKey = "replication:stream";

constexpr const char* kToolsDoNotWrite =
    "this data directory is a node of a replicated log; write through the primary's API "
    "(docs/replication.md)";

}  // namespace

Result<std::unique_ptr<Services>> Services::open(ServiceOptions options) {
    std::unique_ptr<Services> services(new Services(std::move(options)));
    const ServiceOptions& o = services->options_;
    const auto& data = o.data_directory;
    auto key = load_or_create_master_key(o.master_key_file.empty() ? data / "master.key"
                                                                   : o.master_key_file);
    if (!key.is_ok()) return key.status();
    services->master_key_ = key.value();

    std::vector<std::string> families = projection_families();
    families.push_back(kDataKeysFamily);
    families.push_back(kMerkleFamily);
    families.push_back(kDisclosuresFamily);
    DatabaseOptions database_options{.directory = data,
                                     .extra_column_families = families,
                                     .reserved_free_bytes = o.reserved_free_bytes};
    if (o.settings.block_cache_bytes)
        database_options.block_cache_bytes = *o.settings.block_cache_bytes;
    auto database = Database::open(database_options);
    if (!database.is_ok()) return database.status();
    services->database_ = database.value();
    std::shared_ptr<ReplicationSink> sink;
    const auto& replicated = o.settings.replication;
    // A directory that once joined a replicated log stays one: a tool opened on it without the
    // configuration must not write events the replicated log never sees.
    MetaStore meta(services->database_);
    auto joined = meta.get(kReplicatedStreamKey);
    if (!joined.is_ok()) return joined.status();
    if (replicated.replicated && o.join_replication) {
        if (joined->has_value() && joined->value() != replicated.stream)
            return Status::failed_precondition(
                "this data directory belongs to the replicated "
                "stream " +
                joined->value() + ", not " + replicated.stream);
        auto connection = replication::open_when_jetstream_answers("connecting to NATS", [&] {
            return replication::NatsConnection::connect(
                {.servers = replicated.servers, .client_name = "kakitome " + replicated.node});
        });
        if (!connection.is_ok()) return connection.status();
        services->nats_ = std::move(connection).value();
        auto log = replication::JetStreamLog::open(
            *services->nats_, {.name = replicated.stream,
                               .subject = "kakitome." + replicated.stream + ".log",
                               .replicas = replicated.replicas});
        if (!log.is_ok()) return log.status();
        services->replicated_log_ = std::move(log).value();
        auto lease = replication::open_when_jetstream_answers("opening the lease bucket", [&] {
            return replication::PrimaryLease::open(
                *services->nats_, {.bucket = "kakitome-lease-" + replicated.stream,
                                   .ttl = std::chrono::milliseconds(replicated.lease_ms),
                                   .replicas = replicated.replicas});
        });
        if (!lease.is_ok()) return lease.status();
        services->lease_ = std::move(lease).value();
        sink = services->replicated_log_;
        if (!joined->has_value())
            KAKITOME_RETURN_IF_ERROR(meta.put(kReplicatedStreamKey, replicated.stream));
    } else if (replicated.replicated || joined->has_value()) {
        sink = std::make_shared<NoReplicationSink>();
    }
    // A node of a replicated log acknowledges an append once the log's quorum has it, and
    // re-reads the log from its head when it starts: its own copy need not wait for an fsync.
    const Durability durability = services->lease_ ? Durability::buffered : o.durability;
    auto store = EventStore::open(
        services->database_,
        {.durability = durability, .clock_ms = o.event_clock_ms, .replication = sink});
    if (!store.is_ok()) return store.status();
    services->store_ = std::move(store).value();
    if (sink && !services->lease_) services->store_->step_down(kToolsDoNotWrite);
    if (services->lease_)
        services->replication_node_ = std::make_unique<replication::ReplicationNode>(
            *services->store_, *services->replicated_log_, *services->lease_, replicated.node);
    // A node of a replicated log keeps blobs beside the log too: the node that takes over reads
    // the attachments and raw mails the others received.
    std::shared_ptr<BlobReplica> blob_replica;
    if (services->lease_) {
        auto bucket = replication::open_when_jetstream_answers("opening the blob bucket", [&] {
            return replication::BlobBucket::open(*services->nats_, replicated.stream + "-BLOBS",
                                                 replicated.replicas);
        });
        if (!bucket.is_ok()) return bucket.status();
        blob_replica = std::move(bucket).value();
    }
    services->blobs_ =
        std::make_unique<BlobStore>(services->database_, services->master_key_, blob_replica);
    if (blob_replica) KAKITOME_RETURN_IF_ERROR(services->blobs_->move_local_blobs_to_replica());
    // Erasures are journaled beside the data and, when backups are configured, beside the
    // backups: restoring any backup re-applies them (events/erasure_journal.h).
    std::vector<std::filesystem::path> journal_files{data / kErasureJournalName};
    if (!o.settings.backup.directory.empty()) {
        KAKITOME_RETURN_IF_ERROR(create_private_directory(o.settings.backup.directory));
        journal_files.push_back(std::filesystem::path(o.settings.backup.directory) /
                                kErasureJournalName);
    }
    auto journal = ErasureJournal::open(std::move(journal_files));
    if (!journal.is_ok()) return journal.status();
    // A node of a replicated log keeps the data keys beside the log, so that the node that
    // takes over can read what the others sealed, and an erasure reaches every node.
    std::shared_ptr<DataKeyReplica> key_replica;
    if (services->lease_) {
        auto bucket = replication::open_when_jetstream_answers("opening the key bucket", [&] {
            return replication::DataKeyBucket::open(
                *services->nats_, "kakitome-keys-" + replicated.stream, replicated.replicas);
        });
        if (!bucket.is_ok()) return bucket.status();
        services->key_bucket_ = std::move(bucket).value();
        key_replica = services->key_bucket_;
    }
    auto vault = DataKeyVault::open(services->database_, services->master_key_,
                                    std::move(journal).value(), key_replica);
    if (!vault.is_ok()) return vault.status();
    services->vault_ = std::move(vault).value();
    if (key_replica) KAKITOME_RETURN_IF_ERROR(services->vault_->move_local_keys_to_replica());

    services->ledger_key_file_ =
        o.ledger_key_file.empty() ? data / "ledger.key" : o.ledger_key_file;
    auto signer = NoteSigner::load_or_create(services->ledger_key_file_, kLedgerOrigin);
    if (!signer.is_ok()) return signer.status();
    if (services->key_bucket_) {
        // One identity for the cluster: the same master key and ledger key on every node.
        const AeadKey fingerprint =
            derive_key(services->master_key_, "kakitome cluster identity v1");
        KAKITOME_RETURN_IF_ERROR(services->key_bucket_->agree(
            "master-key", to_hex(fingerprint.data(), fingerprint.size())));
        KAKITOME_RETURN_IF_ERROR(
            services->key_bucket_->agree("ledger-key", signer.value().verifier_key()));
    }
    auto ledger = Ledger::open(*services->store_, std::move(signer).value(), kLedgerOrigin);
    if (!ledger.is_ok()) return ledger.status();
    services->ledger_ = std::move(ledger).value();

    services->intake_ = std::make_unique<intake::IntakeService>(
        *services->store_, *services->blobs_, *services->vault_, services->master_key_,
        o.settings.workflow, o.mail_limits);
    services->principals_ = std::make_unique<auth::PrincipalRegistry>(
        *services->store_, auth::TokenPolicy{o.settings.token_expiry_days, o.clock_ms});
    KAKITOME_RETURN_IF_ERROR(services->principals_->load());
    services->commands_ = std::make_unique<workflow::WorkflowCommands>(
        *services->store_, *services->blobs_, *services->vault_, *services->principals_,
        o.settings.workflow, o.clock_ms);
    services->read_models_ =
        std::make_unique<ReadModels>(*services->store_, o.settings.workflow, o.clock_ms);
    KAKITOME_RETURN_IF_ERROR(services->read_models_->load());
    services->worker_ = std::make_unique<WorkflowWorker>(
        *services->store_, *services->vault_, *services->ledger_, *services->read_models_,
        *services->read_models_, o.settings.workflow, o.settings.outbox, o.clock_ms,
        CheckpointPolicy{o.checkpoint_every_events, o.checkpoint_every_seconds});
    if (o.fold_projections_on_open) KAKITOME_RETURN_IF_ERROR(services->worker_->refresh());
    services->backups_ = std::make_unique<BackupJob>(*services->database_, *services->store_,
                                                     *services->ledger_, o.settings.backup, data);
    services->witnessing_ = std::make_unique<witness::CheckpointWitnessing>(
        *services->ledger_, MetaStore(services->database_), o.settings.witnesses,
        o.settings.min_witnesses);
    // An erasure a crash cut short between its deletes and its compaction is finished first.
    KAKITOME_RETURN_IF_ERROR(services->blobs_->finish_interrupted_erasure());
    services->retention_ = std::make_unique<retention::RetentionSweep>(
        *services->store_, *services->blobs_, *services->vault_, o.settings.workflow,
        o.settings.retention, o.clock_ms);
    return services;
}

Services::~Services() {
    // The node's thread applies to the store: stop it (and hand the lease on) first.
    if (replication_node_) replication_node_->stop();
}

}  // namespace kakitome
