#include "engine/workflow/applicant_mail.h"

#include <nlohmann/json.hpp>

#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/mail/outgoing_mail.h"
#include "engine/workflow/applicant_contact.h"
#include "events/base/aead.h"

namespace kakitome::workflow {

using nlohmann::json;

Result<NewEvent> queue_applicant_mail(const ApplicationRecord& record, DataKeyVault& vault,
                                      const WorkflowConfig& config, mail::MailTemplate which,
                                      mail::TemplateFields fields, std::int64_t now_ms,
                                      const std::string& actor, const std::string& correlation) {
    auto contact =
        open_applicant_contact(record.application, record.sender_sealed, record.form_sealed, vault);
    if (!contact.is_ok()) return contact.status();
    if (contact->sender.empty()) {
        return Status::failed_precondition("application " + record.application +
                                           " has no sender address");
    }
    if (fields.organization.empty()) fields.organization = contact->organization;
    fields.usage_period = mail::japanese_date(config.usage_period.first) + "〜" +
                          mail::japanese_date(config.usage_period.last);
    const auto rendered = mail::render_mail(which, fields);
    const std::string mail_id = random_hex(16);
    mail::OutgoingMail outgoing{config.mail_from,
                                config.mail_from_name,
                                contact->sender,
                                rendered.subject,
                                rendered.body,
                                mail_id + "@" + config.message_id_domain,
                                now_ms};
    const json sealed_part{{"from", config.mail_from},
                           {"to", contact->sender},
                           {"message", mail::render_rfc5322(outgoing)}};
    auto sealed = vault.seal(record.application, sealed_part.dump());
    if (!sealed.is_ok()) return sealed.status();
    return domain::new_event(domain::MailQueued{mail_id,
                                                std::string(mail::template_name(which)),
                                                outgoing.message_id,
                                                {"to", "message"},
                                                sealed.value()},
                             {actor, correlation});
}

}  // namespace kakitome::workflow
