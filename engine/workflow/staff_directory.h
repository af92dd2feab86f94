// StaffDirectory: who may be named as an application's assignee — an existing, active principal
// with a staff role (operator or supervisor). The workflow asks; the principal registry
// (api/auth) answers from the `principals` stream. Implementations are thread-safe. A directory
// that cannot be read answers with an error, never with "no": the caller must not tell a client
// that a colleague does not exist because the server could not look.
#pragma once

#include <string>

#include "events/base/status.h"

namespace kakitome::workflow {

class StaffDirectory {
  public:
    virtual ~StaffDirectory() = default;
    virtual Result<bool> is_active_staff(const std::string& name) = 0;
};

}  // namespace kakitome::workflow
