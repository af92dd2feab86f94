#include "engine/retention/retention_schedule.h"

#include <algorithm>

#include "engine/workflow/civil_date.h"

namespace kakitome::retention {

using domain::ApplicationState;
using workflow::CivilDate;

std::string_view rule_name(RetentionRule rule) {
    return rule == RetentionRule::after_close ? "after_close" : "after_usage_period";
}

bool closed_for_retention(const workflow::ApplicationRecord& record) {
    switch (record.state) {
        case ApplicationState::downloaded:
        case ApplicationState::expired:
        case ApplicationState::withdrawn:
            return true;
        case ApplicationState::rejected:
            return record.rejection_notified;
        default:
            return false;
    }
}

RetentionDue retention_due(const workflow::ApplicationRecord& record,
                           const workflow::RetentionPolicy& policy,
                           const workflow::WorkflowConfig& config) {
    RetentionDue due;
    // The end (JST) of the M-th day after the usage period's last day. The settings refuse a
    // last day that is not a date.
    const CivilDate last_day =
        CivilDate::parse(config.usage_period.last).value_or(CivilDate{2026, 3, 31});
    due.due_at_ms =
        workflow::jst_midnight_ms(last_day.plus_days(policy.after_usage_period_days + 1));
    if (!closed_for_retention(record)) return due;
    due.closed_at_ms = record.decided_at_ms;
    const CivilDate closed_on = workflow::jst_date_of(record.decided_at_ms);
    const CivilDate kept_until =
        policy.after_close_business_days == 0
            ? closed_on
            : config.calendar.add_business_days(closed_on, policy.after_close_business_days);
    std::int64_t after_close = workflow::jst_midnight_ms(kept_until.plus_days(1));
    if (const workflow::IssuedUrl* live = record.live_url())
        after_close = std::max(after_close, live->expires_at_ms);
    if (after_close < due.due_at_ms) {
        due.due_at_ms = after_close;
        due.rule = RetentionRule::after_close;
    }
    return due;
}

}  // namespace kakitome::retention
