// An applicant's contact data, opened from the sealed PII an application's events carry: the
// form mail's (sender, sender_name, filename) and the form's (organization, contact_email).
// The one place that knows which sealed field holds what; the directory, the API and outgoing
// mail all read contacts through it. Thread-safe.
#pragma once

#include <string>

#include "events/data_key_vault.h"

namespace kakitome::workflow {

struct ApplicantContact {
    std::string organization;
    std::string contact_email;
    std::string sender;  // where the form mail came from
    std::string sender_name;
    std::string filename;
    std::string usage_other;  // the form's その他 text
    std::string remarks;      // the form's 備考
};

// Either sealed text may be empty (that part is not known yet). unavailable with reason
// "erased" when the application's key has been destroyed.
Result<ApplicantContact> open_applicant_contact(const std::string& application,
                                                const std::string& sender_sealed,
                                                const std::string& form_sealed,
                                                const DataKeyVault& vault);

}  // namespace kakitome::workflow
