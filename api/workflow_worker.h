// WorkflowWorker: the background half of kakitome — fires due timers, delivers queued mail and
// brings the stored projections (queue, directory, downloads) up to the head of the log. One
// pass is idempotent; `kakitome process` runs passes in a loop and the API server runs the same
// worker on its own thread. run_pass() from one thread only; queue_snapshot() and totals() may
// be read from any thread (the API's I/O threads).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "engine/mail/mail_outbox.h"
#include "engine/workflow/timer_scheduler.h"
#include "engine/workflow/workflow_config.h"
#include "events/ledger.h"
#include "projections/directory_projection.h"
#include "projections/disclosure_index.h"
#include "projections/downloads_projection.h"
#include "projections/projection_runner.h"
#include "projections/queue_projection.h"

namespace kakitome {

struct WorkerPass {
    int timers_fired = 0;
    mail::DeliveryReport mail;
    Seq projections_at{0};
    std::string to_json() const;
};

// When the worker signs a checkpoint: after `every_events` new events, or `every_seconds` after
// the last one when anything was added.
struct CheckpointPolicy {
    std::uint64_t every_events = 1000;
    std::int64_t every_seconds = 60;
};

class WorkflowWorker {
  public:
    // The ledger is required: every pass extends its tree and signs checkpoints per `policy`.
    WorkflowWorker(EventStore& store, DataKeyVault& vault, Ledger& ledger,
                   const workflow::WorkflowConfig& config, mail::OutboxOptions outbox,
                   std::function<std::int64_t()> clock_ms, CheckpointPolicy policy = {});

    // Loads the stored projections; call once before the first pass.
    Status start();
    Result<WorkerPass> run_pass();
    // Folds new events into the projections and publishes the queue, without firing timers or
    // sending mail (what a reader needs to see its own writes; also start()'s second half).
    Status refresh();

    // The queue as of the last pass (overdue judged then), for the API to page through.
    std::shared_ptr<const std::vector<QueueEntry>> queue_snapshot() const;
    struct Totals {
        std::uint64_t timers_fired = 0, mails_sent = 0, mails_failed = 0;
    };
    Totals totals() const {
        return {timers_fired_.load(), mails_sent_.load(), mails_failed_.load()};
    }
    Seq position() const { return queue_runner_.position(); }

    const QueueProjection& queue() const { return queue_; }
    const DisclosureIndex& disclosures() const { return disclosures_; }
    const DirectoryProjection& directory() const { return directory_; }
    const DownloadsProjection& downloads() const { return downloads_; }

  private:
    Status catch_up_projections();
    void publish();
    std::function<std::int64_t()> clock_ms_;
    Seq published_position_{0};
    Ledger& ledger_;
    std::uint64_t checkpoint_every_events_;
    std::int64_t checkpoint_every_ms_;
    std::int64_t last_checkpoint_ms_ = 0;
    std::int64_t published_at_ms_ = 0;
    mutable std::mutex snapshot_mutex_;
    std::shared_ptr<const std::vector<QueueEntry>> snapshot_ =
        std::make_shared<std::vector<QueueEntry>>();
    std::atomic<std::uint64_t> timers_fired_{0}, mails_sent_{0}, mails_failed_{0};
    EventStore& store_;
    workflow::TimerScheduler timers_;
    mail::MailOutbox outbox_;
    QueueProjection queue_;
    DirectoryProjection directory_;
    DownloadsProjection downloads_;
    DisclosureIndex disclosures_;
    ProjectionRunner queue_runner_, directory_runner_, downloads_runner_;
};

}  // namespace kakitome
