#include "engine/form/form_validation.h"

#include <algorithm>
#include <cctype>

#include "engine/domain/usage_channel.h"
#include "engine/form/text_normalization.h"

namespace kakitome::form {

bool is_valid_contact_email(std::string_view email) {
    const auto at = email.find('@');
    if (at == std::string_view::npos || at == 0 ||
        email.find('@', at + 1) != std::string_view::npos)
        return false;
    if (email.size() > 254) return false;
    const std::string_view local = email.substr(0, at), domain = email.substr(at + 1);
    static const std::string_view local_specials = ".!#$%&'*+/=?^_`{|}~-";
    for (char c : local) {
        if (!std::isalnum(static_cast<unsigned char>(c)) &&
            local_specials.find(c) == std::string_view::npos)
            return false;
    }
    if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
        return false;
    // Domain: dot-separated labels of letters, digits and inner hyphens, at least two labels.
    if (domain.empty() || domain.find('.') == std::string_view::npos) return false;
    std::size_t start = 0;
    while (start <= domain.size()) {
        const std::size_t end = std::min(domain.find('.', start), domain.size());
        const std::string_view label = domain.substr(start, end - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
            return false;
        for (char c : label) {
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
        }
        start = end + 1;
    }
    return true;
}

std::string duplicate_key(const ApplicationForm& form) {
    std::string email = form.contact_email;
    std::transform(email.begin(), email.end(), email.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return matching_key(form.organization) + "\n" + email;
}

std::vector<std::string> validate_application_form(const ApplicationForm& form,
                                                   const ValidationRules& rules) {
    std::vector<std::string> codes;
    if (form.application_date.empty()) {
        codes.push_back("missing_application_date");
    } else if (form.application_date < rules.usage_period.first ||
               form.application_date > rules.usage_period.last) {
        codes.push_back("date_outside_usage_period");  // ISO dates compare as strings
    }
    if (form.organization.empty()) codes.push_back("missing_organization");
    if (!is_valid_contact_email(form.contact_email)) codes.push_back("invalid_contact_email");
    if (form.usages.empty()) {
        codes.push_back("no_usage_selected");
    } else {
        const bool unknown =
            std::any_of(form.usages.begin(), form.usages.end(), [](const std::string& usage) {
                return !domain::usage_channel_code(usage).has_value();
            });
        if (unknown) codes.push_back("unknown_usage");
        const bool other =
            std::any_of(form.usages.begin(), form.usages.end(), [](const auto& usage) {
                return domain::usage_channel_code(usage) == domain::kOtherUsageChannel;
            });
        if (other && form.usage_other.empty()) codes.push_back("other_usage_without_text");
    }
    if (form.consent != kConsentGiven) codes.push_back("consent_not_given");
    if (rules.already_issued && codes.empty() && rules.already_issued(duplicate_key(form))) {
        codes.push_back("duplicate_application");
    }
    return codes;
}

}  // namespace kakitome::form
