// StaffDirectory: who may be named as an application's assignee — an existing, active principal
// with a staff role (operator or supervisor). The workflow asks; the principal registry
// (api/auth) answers from the `principals` stream. Implementations are thread-safe.
#pragma once

#include <string>

namespace kakitome::workflow {

class StaffDirectory {
  public:
    virtual ~StaffDirectory() = default;
    virtual bool is_active_staff(const std::string& name) = 0;
};

}  // namespace kakitome::workflow
