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

namespace {

// The end (JST) of the M-th day after the usage period's last day. The settings refuse a last
// day that is not a date.
std::int64_t usage_period_limit(const workflow::RetentionPolicy& policy,
                                const workflow::WorkflowConfig& config) {
    const CivilDate last_day =
        CivilDate::parse(config.usage_period.last).value_or(CivilDate{2026, 3, 31});
    return workflow::jst_midnight_ms(last_day.plus_days(policy.after_usage_period_days + 1));
}

// The end (JST) of the N-th business day after the day it closed.
std::int64_t close_limit(std::int64_t closed_at_ms, const workflow::RetentionPolicy& policy,
                         const workflow::WorkflowConfig& config) {
    const CivilDate closed_on = workflow::jst_date_of(closed_at_ms);
    const CivilDate kept_until =
        policy.after_close_business_days == 0
            ? closed_on
            : config.calendar.add_business_days(closed_on, policy.after_close_business_days);
    return workflow::jst_midnight_ms(kept_until.plus_days(1));
}

RetentionDue earlier(std::int64_t closed_at_ms, std::int64_t after_close,
                     std::int64_t after_usage_period) {
    if (after_close < after_usage_period)
        return {after_close, RetentionRule::after_close, closed_at_ms};
    return {after_usage_period, RetentionRule::after_usage_period, closed_at_ms};
}

}  // namespace

RetentionDue retention_due(const workflow::ApplicationRecord& record,
                           const workflow::RetentionPolicy& policy,
                           const workflow::WorkflowConfig& config) {
    const std::int64_t after_usage_period = usage_period_limit(policy, config);
    if (!closed_for_retention(record))
        return {after_usage_period, RetentionRule::after_usage_period, 0};
    std::int64_t after_close = close_limit(record.decided_at_ms, policy, config);
    if (const workflow::IssuedUrl* live = record.live_url())
        after_close = std::max(after_close, live->expires_at_ms);
    return earlier(record.decided_at_ms, after_close, after_usage_period);
}

RetentionDue mail_retention_due(std::int64_t received_at_ms,
                                const workflow::RetentionPolicy& policy,
                                const workflow::WorkflowConfig& config) {
    return earlier(received_at_ms, close_limit(received_at_ms, policy, config),
                   usage_period_limit(policy, config));
}

}  // namespace kakitome::retention
