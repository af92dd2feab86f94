// WorkflowWorker: the background half of kakitome. A pass fires the timers the applications'
// records show due (the queue's, caught up first), delivers queued mail, brings the read models
// (a follower, events/follower.h) up to the head, grows the ledger's tree and signs a checkpoint
// when the policy says so. One pass is idempotent;
// `kakitome process` runs passes in a loop and `kakitome serve` runs the same worker on its own
// thread. run_pass() and refresh() from one thread only; totals() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/mail/mail_outbox.h"
#include "engine/workflow/timer_scheduler.h"
#include "engine/workflow/workflow_config.h"
#include "events/follower.h"
#include "events/ledger.h"

namespace kakitome {

struct WorkerPass {
    int timers_fired = 0;
    // Applications tried this pass whose due timer could not fire (tried again after a backoff);
    // and the failing ones no good pass reported yet with this error (code and reason, not the
    // message, which may name what changes): what to log once.
    std::vector<workflow::TimerFailure> timers_failed;
    std::vector<workflow::TimerFailure> timers_newly_failed;
    mail::DeliveryReport mail;
    Seq projections_at{0};
    // The types of the events this pass appended, with how many of each (the operator's log).
    std::map<std::string, int> appended;
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
    // Every part is required: the ledger grows on every pass, and the read models are caught up
    // on every pass and refresh; `records` are the applications as the read models fold them
    // (the queue's), which the timers fire from.
    WorkflowWorker(EventStore& store, DataKeyVault& vault, Ledger& ledger, Follower& read_models,
                   workflow::ApplicationRecords& records, const workflow::WorkflowConfig& config,
                   mail::OutboxOptions outbox, std::function<std::int64_t()> clock_ms,
                   CheckpointPolicy policy = {});

    // What a pass does. A standby of a replicated log (docs/replication.md) may not append: it
    // keeps its read models, tree and checkpoints current, and fires no timer and sends no mail
    // (the primary does, and records it).
    enum class Role { primary, standby };
    Result<WorkerPass> run_pass(Role role = Role::primary);
    // Folds new events into the read models without firing timers or sending mail (what a
    // reader needs to see its own writes).
    Status refresh() { return read_models_.catch_up(); }

    struct Totals {
        std::uint64_t timers_fired = 0, mails_sent = 0, mails_failed = 0;
        std::uint64_t timers_failing = 0;  // applications whose due timer is failing
    };
    Totals totals() const {
        return {timers_fired_.load(), mails_sent_.load(), mails_failed_.load(),
                timers_failing_.load()};
    }
    Seq position() const { return read_models_.position(); }
    // When passes last started, ended, and ended without an error (ms since the epoch, the
    // worker's clock; 0 before the first). Readiness (/readyz) asks whether the worker turns.
    struct Progress {
        std::int64_t started_ms = 0, finished_ms = 0, good_ms = 0;
    };
    Progress progress() const {
        return {pass_started_ms_.load(), pass_finished_ms_.load(), last_good_pass_ms_.load()};
    }
    // Asks the next pass to sign a checkpoint covering `seq` whatever the policy says (an
    // evidence bundle must end on a signature over its last event). Thread-safe.
    void request_checkpoint(Seq seq) const;

  private:
    Result<WorkerPass> pass_once(Role role);
    Status sign_when_due();
    std::function<std::int64_t()> clock_ms_;
    Ledger& ledger_;
    Follower& read_models_;
    std::uint64_t checkpoint_every_events_;
    std::int64_t checkpoint_every_ms_;
    std::int64_t last_checkpoint_ms_ = 0;
    mutable std::atomic<std::uint64_t> checkpoint_wanted_{0};
    std::atomic<std::uint64_t> timers_fired_{0}, mails_sent_{0}, mails_failed_{0};
    std::atomic<std::uint64_t> timers_failing_{0};
    // Application -> the code and reason of its timer's failure, as the last good pass reported
    // it: a failure is reported once, and again when it changes; one first seen by a pass that
    // failed later is reported by the next good pass.
    std::map<std::string, std::string> reported_timer_failures_;
    std::atomic<std::int64_t> pass_started_ms_{0}, pass_finished_ms_{0}, last_good_pass_ms_{0};
    workflow::TimerScheduler timers_;
    mail::MailOutbox outbox_;
};

}  // namespace kakitome
