#include "engine/workflow/workflow_worker.h"

#include <nlohmann/json.hpp>

#include "engine/domain/application_events.h"

namespace kakitome {

std::string WorkerPass::to_json() const {
    return nlohmann::json{{"timers_fired", timers_fired}, {"timers_failed", timers_failed.size()},
                          {"mail_sent", mail.sent},       {"mail_failed", mail.failed},
                          {"mail_pending", mail.pending}, {"projections_at", projections_at.value}}
        .dump();
}

WorkflowWorker::WorkflowWorker(EventStore& store, DataKeyVault& vault, Ledger& ledger,
                               Follower& read_models, workflow::ApplicationRecords& records,
                               const workflow::WorkflowConfig& config, mail::OutboxOptions outbox,
                               std::function<std::int64_t()> clock_ms, CheckpointPolicy policy)
    : clock_ms_(clock_ms),
      ledger_(ledger),
      read_models_(read_models),
      checkpoint_every_events_(policy.every_events),
      checkpoint_every_ms_(policy.every_seconds * 1000),
      timers_(store, vault, config, clock_ms, records),
      outbox_(store, vault, std::move(outbox), clock_ms) {}

Result<WorkerPass> WorkflowWorker::run_pass(Role role) {
    pass_started_ms_ = clock_ms_();
    auto pass = pass_once(role);
    const std::int64_t now = clock_ms_();
    pass_finished_ms_ = now;
    if (pass.is_ok()) last_good_pass_ms_ = now;
    return pass;
}

Result<WorkerPass> WorkflowWorker::pass_once(Role role) {
    WorkerPass pass;
    if (role == Role::standby) {
        // A standby fires no timer: none of them is failing here.
        reported_timer_failures_.clear();
        timers_failing_ = 0;
        KAKITOME_RETURN_IF_ERROR(read_models_.catch_up());
        pass.projections_at = read_models_.position();
        KAKITOME_RETURN_IF_ERROR(ledger_.extend());
        KAKITOME_RETURN_IF_ERROR(sign_when_due());
        return pass;
    }
    auto fired = timers_.fire_due(&pass.appended);
    if (!fired.is_ok()) return fired.status();
    pass.timers_fired = fired->fired;
    pass.timers_failed = std::move(fired->failed);
    timers_failing_ = timers_.failing().size();
    auto delivered = outbox_.deliver_due();
    if (!delivered.is_ok()) return delivered.status();
    pass.mail = delivered.value();
    if (pass.mail.sent > 0) pass.appended[std::string(domain::MailSent::kType)] += pass.mail.sent;
    if (pass.mail.failed > 0)
        pass.appended[std::string(domain::MailFailed::kType)] += pass.mail.failed;
    KAKITOME_RETURN_IF_ERROR(read_models_.catch_up());
    pass.projections_at = read_models_.position();
    KAKITOME_RETURN_IF_ERROR(ledger_.extend());
    KAKITOME_RETURN_IF_ERROR(sign_when_due());
    // Only now: a pass that failed after its timers reported nothing, so its new failures are
    // reported by the next good one.
    std::map<std::string, std::string> reported;
    for (const auto& [application, failure] : timers_.failing()) {
        std::string error =
            std::string(status_code_name(failure.status.code())) + "/" + failure.status.reason();
        const auto before = reported_timer_failures_.find(application);
        if (before == reported_timer_failures_.end() || before->second != error)
            pass.timers_newly_failed.push_back(failure);
        reported.emplace(application, std::move(error));
    }
    reported_timer_failures_ = std::move(reported);
    timers_fired_ += static_cast<std::uint64_t>(pass.timers_fired);
    mails_sent_ += static_cast<std::uint64_t>(pass.mail.sent);
    mails_failed_ += static_cast<std::uint64_t>(pass.mail.failed);
    return pass;
}

void WorkflowWorker::request_checkpoint(Seq seq) const {
    std::uint64_t wanted = checkpoint_wanted_.load();
    while (wanted < seq.value && !checkpoint_wanted_.compare_exchange_weak(wanted, seq.value)) {
    }
}

Status WorkflowWorker::sign_when_due() {
    auto latest = ledger_.latest_checkpoint();
    if (!latest.is_ok()) return latest.status();
    const std::uint64_t signed_size = latest.value() ? latest.value()->size : 0;
    const std::int64_t now = clock_ms_();
    const bool wanted = checkpoint_wanted_.load() > signed_size;
    if (ledger_.size() > signed_size &&
        (wanted || ledger_.size() - signed_size >= checkpoint_every_events_ ||
         now - last_checkpoint_ms_ >= checkpoint_every_ms_)) {
        auto cut = ledger_.cut_checkpoint();
        if (!cut.is_ok()) return cut.status();
        last_checkpoint_ms_ = now;
    }
    return Status::ok();
}

}  // namespace kakitome
