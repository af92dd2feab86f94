// WorkflowConfig: the settings of the secretariat's process — where download links point, how
// long they live, the SLA in business days, the sender of outgoing mail. Read from the
// `[workflow]` part of the configuration file (docs/workflow.md); the defaults are the
// federation's published process.
#pragma once

#include <string>
#include "engine/form/form_validation.h"

#include "engine/download/sigv4.h"
#include "engine/workflow/business_calendar.h"

namespace kakitome::workflow {

struct WorkflowConfig {
    BusinessCalendar calendar;
    std::string public_base_url = "https://pr-video.example.jp";
    int url_valid_days = 14;  // calendar days; the link expires at the end of the last day (JST)
    int password_reminder_business_days = 2;
    int sla_due_business_days = 4;
    int sla_overdue_business_days = 5;
    std::string mail_from = "pr-video@secretariat.example.jp";
    std::string mail_from_name = "PR動画事務局";
    std::string message_id_domain = "kakitome.secretariat.example.jp";
    // The video object and how to presign it (download/).
    download::ObjectLocation video;
    download::AwsCredentials storage_credentials;
    int presigned_seconds = 300;
    // When the video may be used: forms dated outside it are rejected, mails state it, and
    // approving after it ended needs a supervisor's justification.
    form::UsagePeriod usage_period;
};

}  // namespace kakitome::workflow
