#include "engine/workflow/applicant_contact.h"

#include <nlohmann/json.hpp>

namespace kakitome::workflow {

using nlohmann::json;

Result<ApplicantContact> open_applicant_contact(const std::string& application,
                                                const std::string& sender_sealed,
                                                const std::string& form_sealed,
                                                const DataKeyVault& vault) {
    auto open = [&](const std::string& sealed) -> Result<json> {
        if (sealed.empty()) return json::object();
        auto opened = vault.open_sealed(application, sealed);
        if (!opened.is_ok()) return opened.status();
        return json::parse(opened.value());
    };
    auto sender = open(sender_sealed);
    if (!sender.is_ok()) return sender.status();
    auto form = open(form_sealed);
    if (!form.is_ok()) return form.status();
    return ApplicantContact{form->value("organization", ""), form->value("contact_email", ""),
                            sender->value("sender", ""),     sender->value("sender_name", ""),
                            sender->value("filename", ""),   form->value("usage_other", ""),
                            form->value("remarks", "")};
}

}  // namespace kakitome::workflow
