// ApplicationRecords: every application's record (application_record.h) as folded through some
// position of the log by whoever keeps them current and stored: in kakitome the queue's read
// model (projections/read_models.h). The timers catch them up and read them there instead of
// folding the whole log again on every start, and holding a second copy of them.
// Not thread-safe: caught up and read on one thread (the worker's).
#pragma once

#include <functional>

#include "engine/workflow/application_record.h"
#include "events/base/status.h"

namespace kakitome::workflow {

class ApplicationRecords {
  public:
    virtual ~ApplicationRecords() = default;
    // Folds what the log holds beyond the records, up to its head.
    virtual Status catch_up_records() = 0;
    // Calls `visit` with each application's record, in the order of their identifiers.
    virtual void for_each_record(
        const std::function<void(const ApplicationRecord&)>& visit) const = 0;
};

}  // namespace kakitome::workflow
