#include "api/workflow_worker.h"

#include <nlohmann/json.hpp>

namespace kakitome {

std::string WorkerPass::to_json() const {
    return nlohmann::json{{"timers_fired", timers_fired},
                          {"mail_sent", mail.sent},
                          {"mail_failed", mail.failed},
                          {"mail_pending", mail.pending},
                          {"projections_at", projections_at.value}}
        .dump();
}

WorkflowWorker::WorkflowWorker(EventStore& store, DataKeyVault& vault, Ledger& ledger,
                               const workflow::WorkflowConfig& config, mail::OutboxOptions outbox,
                               std::function<std::int64_t()> clock_ms, CheckpointPolicy policy)
    : clock_ms_(clock_ms),
      ledger_(ledger),
      checkpoint_every_events_(policy.every_events),
      checkpoint_every_ms_(policy.every_seconds * 1000),
      store_(store),
      timers_(store, vault, config, clock_ms),
      outbox_(store, vault, std::move(outbox), clock_ms),
      queue_(config),
      disclosures_(store),
      queue_runner_(store, queue_),
      directory_runner_(store, directory_),
      downloads_runner_(store, downloads_) {}

Status WorkflowWorker::start() {
    KAKITOME_RETURN_IF_ERROR(queue_runner_.load());
    KAKITOME_RETURN_IF_ERROR(directory_runner_.load());
    KAKITOME_RETURN_IF_ERROR(downloads_runner_.load());
    return refresh();
}

Status WorkflowWorker::refresh() {
    KAKITOME_RETURN_IF_ERROR(catch_up_projections());
    publish();
    return Status::ok();
}

void WorkflowWorker::publish() {
    // A new snapshot only when the queue moved, or every 10 s so that overdue flags follow the
    // clock; readers cache pages per snapshot.
    const std::int64_t now = clock_ms_();
    if (published_position_ == queue_runner_.position() && now - published_at_ms_ < 10'000 &&
        published_at_ms_ != 0)
        return;
    published_position_ = queue_runner_.position();
    published_at_ms_ = now;
    auto entries = std::make_shared<const std::vector<QueueEntry>>(queue_.entries(clock_ms_()));
    std::lock_guard lock(snapshot_mutex_);
    snapshot_ = std::move(entries);
}

std::shared_ptr<const std::vector<QueueEntry>> WorkflowWorker::queue_snapshot() const {
    std::lock_guard lock(snapshot_mutex_);
    return snapshot_;
}

Status WorkflowWorker::catch_up_projections() {
    KAKITOME_RETURN_IF_ERROR(queue_runner_.catch_up());
    KAKITOME_RETURN_IF_ERROR(directory_runner_.catch_up());
    KAKITOME_RETURN_IF_ERROR(disclosures_.catch_up());
    return downloads_runner_.catch_up();
}

Result<WorkerPass> WorkflowWorker::run_pass() {
    WorkerPass pass;
    auto fired = timers_.fire_due();
    if (!fired.is_ok()) return fired.status();
    pass.timers_fired = fired.value();
    auto delivered = outbox_.deliver_due();
    if (!delivered.is_ok()) return delivered.status();
    pass.mail = delivered.value();
    KAKITOME_RETURN_IF_ERROR(catch_up_projections());
    pass.projections_at = queue_runner_.position();
    KAKITOME_RETURN_IF_ERROR(ledger_.extend());
    auto latest = ledger_.latest_checkpoint();
    if (!latest.is_ok()) return latest.status();
    const std::uint64_t signed_size = latest.value() ? latest.value()->size : 0;
    const std::int64_t now = clock_ms_();
    if (ledger_.size() > signed_size && (ledger_.size() - signed_size >= checkpoint_every_events_ ||
                                         now - last_checkpoint_ms_ >= checkpoint_every_ms_)) {
        auto cut = ledger_.cut_checkpoint();
        if (!cut.is_ok()) return cut.status();
        last_checkpoint_ms_ = now;
    }
    timers_fired_ += static_cast<std::uint64_t>(pass.timers_fired);
    mails_sent_ += static_cast<std::uint64_t>(pass.mail.sent);
    mails_failed_ += static_cast<std::uint64_t>(pass.mail.failed);
    publish();
    return pass;
}

}  // namespace kakitome
