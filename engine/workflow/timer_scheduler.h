// TimerScheduler: the workflow's timers as events (docs/design.md §4).
//
//   PasswordReminderDue  2 business days after the form mail, still no password; mails a reminder
//   SlaDue               4 business days after pairing (00:00 JST of that day), still open
//   SlaOverdue           5 business days after pairing, still open
//   UrlExpired           when the live download link's expiry passes
//
// Which timers are pending follows from each application's events, read from the applications'
// records as the read models fold and store them (caught up at each round), so after a restart
// the scheduler fires whatever fell due while it was down without folding the log again; only
// the backoff of failing timers is kept in memory (a restart tries them all once more). Firing
// reloads the stream and appends with the expected version: a record behind the log, or a timer
// that lost a race with a command, is reconsidered on the stream itself. A timer that cannot fire
// (its application's contact cannot be opened, its append fails) is reported and tried again after
// a backoff (1 s, doubling, at most 5 minutes); the other applications' timers fire regardless. Not
// thread-safe: one scheduler per process, driven by one worker thread.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/workflow/application_record.h"
#include "engine/workflow/application_records.h"
#include "engine/workflow/workflow_config.h"
#include "events/data_key_vault.h"
#include "events/event_store.h"

namespace kakitome::workflow {

struct PendingTimer {
    std::string_view type;  // the timer event's type, e.g. domain::SlaDue::kType
    std::int64_t due_at_ms = 0;
};

// The earliest timer still to fire for this application, if any.
std::optional<PendingTimer> next_timer(const ApplicationRecord& record,
                                       const WorkflowConfig& config);

// An application whose due timer could not fire, why, and when it is tried again.
struct TimerFailure {
    std::string application;
    Status status;
    int attempts = 0;              // rounds in a row that tried it and failed
    std::int64_t retry_at_ms = 0;  // not tried again before this (the scheduler's clock)
};

struct TimerRound {
    int fired = 0;                     // applications whose due timers were appended
    std::vector<TimerFailure> failed;  // applications tried this round that failed
};

// How long a timer that failed `attempts` rounds in a row waits before its next try.
std::int64_t timer_retry_delay_ms(int attempts);

class TimerScheduler {
  public:
    // `records`: the applications as folded so far, caught up and read at every fire_due().
    TimerScheduler(EventStore& store, DataKeyVault& vault, const WorkflowConfig& config,
                   std::function<std::int64_t()> clock_ms, ApplicationRecords& records);

    // Catches the records up, then appends every timer due at the clock's now that they show,
    // each checked against its stream; adds the types of the events it appended to `appended`
    // when given (the worker's log). Fails when the records cannot be caught up or the store cannot
    // take writes (unavailable, full, read-only, a disk error): one application's own failure is in
    // the round's `failed`, and does not stop the others (it used to stop every timer of every
    // application, each tick, for good).
    Result<TimerRound> fire_due(std::map<std::string, int>* appended = nullptr);
    // The applications whose due timer is failing: those of the last rounds' failures that are
    // still due, including those waiting out their backoff. Keyed by application.
    const std::map<std::string, TimerFailure>& failing() const { return failing_; }

  private:
    // Whether it appended anything: the record may have been behind its stream.
    Result<bool> fire(const std::string& application, std::int64_t now,
                      std::map<std::string, int>* appended);

    EventStore& store_;
    DataKeyVault& vault_;
    const WorkflowConfig& config_;
    std::function<std::int64_t()> clock_ms_;
    ApplicationRecords& records_;
    std::map<std::string, TimerFailure> failing_;
};

}  // namespace kakitome::workflow
