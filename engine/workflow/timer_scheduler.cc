#include "engine/workflow/timer_scheduler.h"

#include <algorithm>

#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/workflow/applicant_mail.h"
#include "events/base/timestamp.h"

namespace kakitome::workflow {

std::optional<PendingTimer> next_timer(const ApplicationRecord& record,
                                       const WorkflowConfig& config) {
    std::optional<PendingTimer> earliest;
    using namespace domain;
    auto consider = [&](std::string_view type, std::int64_t due) {
        if (!earliest || due < earliest->due_at_ms) earliest = PendingTimer{type, due};
    };
    if (record.erased || record.received_at_ms == 0) return std::nullopt;
    auto business_day_midnight = [&](std::int64_t from_ms, int days) {
        return jst_midnight_ms(config.calendar.add_business_days(jst_date_of(from_ms), days));
    };
    // No password yet, or only ones that do not open the form: the applicant is reminded.
    const bool waiting =
        (record.state == ApplicationState::awaiting_password && !record.password_received) ||
        record.state == ApplicationState::password_mismatch;
    if (waiting && !record.reminder_due_fired) {
        consider(
            PasswordReminderDue::kType,
            business_day_midnight(record.received_at_ms, config.password_reminder_business_days));
    }
    if (record.paired_at_ms != 0 && !record.closed()) {
        if (!record.sla_due_fired)
            consider(SlaDue::kType,
                     business_day_midnight(record.paired_at_ms, config.sla_due_business_days));
        if (!record.sla_overdue_fired) {
            consider(SlaOverdue::kType,
                     business_day_midnight(record.paired_at_ms, config.sla_overdue_business_days));
        }
    }
    if (const IssuedUrl* live = record.live_url(); live && live->expires_at_ms > 0)
        consider(UrlExpired::kType, live->expires_at_ms);
    return earliest;
}

TimerScheduler::TimerScheduler(EventStore& store, DataKeyVault& vault, const WorkflowConfig& config,
                               std::function<std::int64_t()> clock_ms, ApplicationRecords& records)
    : store_(store),
      vault_(vault),
      config_(config),
      clock_ms_(std::move(clock_ms)),
      records_(records) {}

std::int64_t timer_retry_delay_ms(int attempts) {
    constexpr std::int64_t kFirstMs = 1000, kLongestMs = 5 * 60 * 1000;
    const int doublings = std::clamp(attempts - 1, 0, 20);
    return std::min(kLongestMs, kFirstMs << doublings);
}

Result<TimerRound> TimerScheduler::fire_due(std::map<std::string, int>* appended) {
    KAKITOME_RETURN_IF_ERROR(records_.catch_up_records());
    const std::int64_t now = clock_ms_();
    TimerRound round;
    std::vector<std::string> due;  // in the records' (sorted) order
    records_.for_each_record([&](const ApplicationRecord& record) {
        if (auto timer = next_timer(record, config_); timer && timer->due_at_ms <= now)
            due.push_back(record.application);
    });
    // A failure whose application is no longer due (its password came, it was erased) is over.
    std::erase_if(failing_, [&](const auto& entry) {
        return !std::binary_search(due.begin(), due.end(), entry.first);
    });
    for (const auto& application : due) {
        const auto failing = failing_.find(application);
        if (failing != failing_.end() && now < failing->second.retry_at_ms) continue;
        const auto fired = fire(application, now, appended);
        const Status& status = fired.status();
        if (status.is_ok()) {
            if (fired.value()) ++round.fired;
            if (failing != failing_.end()) failing_.erase(failing);
        } else if (status.code() == StatusCode::unavailable ||
                   status.code() == StatusCode::resource_exhausted ||
                   status.code() == StatusCode::permission_denied ||
                   status.code() == StatusCode::io_error) {
            // The store itself failing (no longer the writer, full, read-only, a disk error):
            // every other application would fail the same way, so the pass fails, as before.
            return status;
        } else if (status.code() != StatusCode::conflict) {
            // Tried again after a backoff, so that an application that cannot fire for good
            // (no address to remind) costs a load and a failed open now and then, not each pass.
            TimerFailure& failure = failing_[application];
            failure.application = application;
            failure.status = status;
            ++failure.attempts;
            failure.retry_at_ms = now + timer_retry_delay_ms(failure.attempts);
            round.failed.push_back(failure);
        }
    }
    return round;
}

Result<bool> TimerScheduler::fire(const std::string& application, std::int64_t now,
                                  std::map<std::string, int>* appended) {
    auto loaded = load_application(store_, application);
    if (!loaded.is_ok()) return loaded.status();
    ApplicationRecord record = std::move(loaded).value();
    const StreamVersion expected = record.version;
    std::vector<NewEvent> events;
    // Several timers may be due at once after downtime: fire them in due order, one append.
    while (auto timer = next_timer(record, config_)) {
        if (timer->due_at_ms > now) break;
        const std::string due_at = format_rfc3339_ms(timer->due_at_ms);
        const domain::EventContext context{.actor = "system", .correlation = application};
        NewEvent event;
        if (timer->type == domain::UrlExpired::kType) {
            event = domain::new_event(domain::UrlExpired{due_at, record.live_url()->token_sha256},
                                      context);
        } else if (timer->type == domain::SlaDue::kType) {
            event =
                domain::new_event(domain::SlaDue{due_at, config_.sla_due_business_days}, context);
        } else if (timer->type == domain::SlaOverdue::kType) {
            event = domain::new_event(domain::SlaOverdue{due_at, config_.sla_overdue_business_days},
                                      context);
        } else {
            event = domain::new_event(domain::PasswordReminderDue{due_at}, context);
        }
        // So the next round sees this timer as fired.
        KAKITOME_RETURN_IF_ERROR(record.apply_pending(event, now));
        events.push_back(std::move(event));
        if (timer->type == domain::PasswordReminderDue::kType) {
            mail::TemplateFields fields;
            if (record.state == domain::ApplicationState::password_mismatch)
                fields.codes = {"wrong_password"};
            auto mail =
                queue_applicant_mail(record, vault_, config_, mail::MailTemplate::password_reminder,
                                     fields, now, "system", application);
            if (mail.is_ok()) {
                events.push_back(std::move(mail).value());
            } else if (mail.status().reason() != "erased") {
                return mail.status();
            }
        }
    }
    if (events.empty()) return false;
    std::map<std::string, int> types;
    for (const auto& event : events) ++types[event.type];
    KAKITOME_RETURN_IF_ERROR(store_
                                 .append(domain::application_stream(application),
                                         ExpectedVersion::exact(expected), std::move(events))
                                 .status());
    if (appended)
        for (const auto& [type, count] : types) (*appended)[type] += count;
    return true;
}

}  // namespace kakitome::workflow
