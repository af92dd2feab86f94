// Validation of an application form, with stable reason codes (docs/forms.md):
//   missing_application_date, date_outside_usage_period, missing_organization,
//   invalid_contact_email, no_usage_selected, unknown_usage, other_usage_without_text,
//   consent_not_given, duplicate_application.
// An empty result means valid. Codes come out in that fixed order, each at most once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/form/application_form.h"

namespace kakitome::form {

// The campaign's usage period (ISO dates, both days included). The defaults are the current
// campaign's; the configuration file's "campaign" part changes them (docs/workflow.md).
struct UsagePeriod {
    std::string first = "2025-05-19";
    std::string last = "2026-03-31";
};

struct ValidationRules {
    UsagePeriod usage_period;
    // True when a URL was already issued to this organization and e-mail (compare with
    // duplicate_key()). Empty: no duplicate check.
    std::function<bool(const std::string& duplicate_key)> already_issued;
};

std::vector<std::string> validate_application_form(const ApplicationForm& form,
                                                   const ValidationRules& rules = {});

// Plain ASCII addr-spec: local@domain.tld, no spaces, no full-width characters.
bool is_valid_contact_email(std::string_view email);

// Organization (NFKC, case and whitespace folded) + lower-cased e-mail: what makes two
// applications the same applicant.
std::string duplicate_key(const ApplicationForm& form);

}  // namespace kakitome::form
