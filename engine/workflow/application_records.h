// ApplicationRecords: every application's record (application_record.h) as folded through some
// position of the log by whoever keeps them current: in kakitome the queue's read model, which
// the worker catches up before and after firing timers. The timers read the records from there
// instead of folding the whole log again on every start, and holding a second copy of them.
// Not thread-safe: read on the thread that folds them.
#pragma once

#include <functional>

#include "engine/workflow/application_record.h"

namespace kakitome::workflow {

class ApplicationRecords {
  public:
    virtual ~ApplicationRecords() = default;
    // Calls `visit` with each application's record, in the order of their identifiers.
    virtual void for_each_record(
        const std::function<void(const ApplicationRecord&)>& visit) const = 0;
};

}  // namespace kakitome::workflow
