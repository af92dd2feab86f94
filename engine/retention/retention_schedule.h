// When the retention policy (engine/workflow/retention_policy.h) makes an application due for
// erasure: pure functions of its record, the policy and the campaign's settings.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/workflow/application_record.h"
#include "engine/workflow/retention_policy.h"
#include "engine/workflow/workflow_config.h"

namespace kakitome::retention {

enum class RetentionRule { after_close, after_usage_period };
std::string_view rule_name(RetentionRule rule);  // "after_close", "after_usage_period"

// Closed for retention: downloaded, expired, withdrawn, or rejected with the applicant told.
// (A url_issued application is not: the applicant may still download.)
bool closed_for_retention(const workflow::ApplicationRecord& record);

struct RetentionDue {
    std::int64_t due_at_ms = 0;
    RetentionRule rule = RetentionRule::after_usage_period;
    std::int64_t closed_at_ms = 0;  // 0 while the application is open
};

// The earlier of the two limits. The after_close limit counts from the last decision on the
// closed application (ApplicationRecord::decided_at_ms); a live link that expires later holds
// it back until it expires.
RetentionDue retention_due(const workflow::ApplicationRecord& record,
                           const workflow::RetentionPolicy& policy,
                           const workflow::WorkflowConfig& config);

// A mail that reached no application (refused, or of another subject) is closed when it
// arrives: the same two limits, counted from then.
RetentionDue mail_retention_due(std::int64_t received_at_ms,
                                const workflow::RetentionPolicy& policy,
                                const workflow::WorkflowConfig& config);

}  // namespace kakitome::retention
