// RetentionPolicy: how long an application's personal data is kept (docs/operations.md,
// "Retention"). Read from `"retention": {...}` in the configuration file; without that key
// nothing is ever erased by policy. An application is due when the first of two limits is
// reached:
//   after_close   the end (JST) of the N-th business day after it closed — downloaded, expired,
//                 withdrawn, or rejected with the applicant told — and never while a download
//                 link it was sent is still live;
//   after_usage_period  the end of the M-th day after the campaign's usage period ended,
//                 whatever its state (an application nobody finished is not kept for ever).
// engine/retention/ applies it; a legal hold or an open incident's scope stops it.
#pragma once

#include <cstdint>
#include <string>

namespace kakitome::workflow {

struct RetentionPolicy {
    bool enabled = false;
    int after_close_business_days = 20;
    int after_usage_period_days = 90;
    // How often `serve` sweeps (a sweep reads every application stream once).
    std::int64_t check_every_minutes = 60;

    // What a RetentionErased event names as the policy it applied.
    std::string name() const {
        return "after_close_business_days=" + std::to_string(after_close_business_days) +
               ";after_usage_period_days=" + std::to_string(after_usage_period_days);
    }
};

}  // namespace kakitome::workflow
