// Composing a mail to an applicant as a `MailQueued` event (the transactional outbox): the
// rendered message is sealed with the application's data key, so erasing the application also
// makes its queued mail — and the download token inside a URL notice — unreadable. The token is
// otherwise stored only as its SHA-256.
#pragma once

#include <string>

#include "engine/mail/mail_templates.h"
#include "engine/workflow/application_record.h"
#include "engine/workflow/workflow_config.h"
#include "events/data_key_vault.h"
#include "events/event.h"

namespace kakitome::workflow {

Result<NewEvent> queue_applicant_mail(const ApplicationRecord& record, DataKeyVault& vault,
                                      const WorkflowConfig& config, mail::MailTemplate which,
                                      mail::TemplateFields fields, std::int64_t now_ms,
                                      const std::string& actor, const std::string& correlation);

}  // namespace kakitome::workflow
