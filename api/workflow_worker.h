// WorkflowWorker: the background half of kakitome — fires due timers, delivers queued mail and
// brings the stored projections (queue, directory, downloads) up to the head of the log. One
// pass is idempotent; `kakitome process` runs passes in a loop and the API server runs the same
// worker on its own thread. Not thread-safe: one worker per process.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "engine/mail/mail_outbox.h"
#include "engine/workflow/timer_scheduler.h"
#include "engine/workflow/workflow_config.h"
#include "projections/directory_projection.h"
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

class WorkflowWorker {
  public:
    WorkflowWorker(EventStore& store, DataKeyVault& vault, const workflow::WorkflowConfig& config,
                   mail::OutboxOptions outbox, std::function<std::int64_t()> clock_ms);

    // Loads the stored projections; call once before the first pass.
    Status start();
    Result<WorkerPass> run_pass();

    const QueueProjection& queue() const { return queue_; }
    const DirectoryProjection& directory() const { return directory_; }
    const DownloadsProjection& downloads() const { return downloads_; }

  private:
    Status catch_up_projections();
    EventStore& store_;
    workflow::TimerScheduler timers_;
    mail::MailOutbox outbox_;
    QueueProjection queue_;
    DirectoryProjection directory_;
    DownloadsProjection downloads_;
    ProjectionRunner queue_runner_, directory_runner_, downloads_runner_;
};

}  // namespace kakitome
