// The Japanese mails the secretariat sends: the download URL notice, a correction request, a
// rejection (with the reasons in plain Japanese), and a reminder that the password mail has not
// arrived (or, with the code wrong_password, that the one that came does not open the form), and
// the automatic answer to a mail intake refused (intake_refused: what to fix, how to send again).
// Rendering is pure; what a template needs is in TemplateFields.
#pragma once

#include <string>
#include <vector>

namespace kakitome::mail {

enum class MailTemplate {
    url_notice,
    correction_request,
    rejection,
    password_reminder,
    intake_refused
};

const char* template_name(MailTemplate which);

struct TemplateFields {
    std::string organization;        // may be empty (unknown before the form is read)
    std::string url;                 // url_notice
    std::string url_expires;         // url_notice, "2026年12月8日"
    std::string message;             // staff's words for correction requests and rejections
    std::vector<std::string> codes;  // rejection / correction reason codes
    std::string secretariat = "PR動画 利用申請事務局";
    std::string usage_period;  // "2025年5月19日〜2026年3月31日", from the campaign settings
    std::string received;  // intake_refused: when the refused mail came, "2026年11月27日 9時30分"
};

struct RenderedMail {
    std::string subject;
    std::string body;
};

RenderedMail render_mail(MailTemplate which, const TemplateFields& fields);
// "申請日が利用期間（2025年5月19日〜2026年3月31日）の外です" for a reason code; the code
// itself when it has no wording.
std::string explain_reason(const std::string& code);
// A code explain_reason has wording for: the only codes staff may send to an applicant.
bool is_known_reason(const std::string& code);
// "2026-12-08" -> "2026年12月8日"
std::string japanese_date(const std::string& iso_date);

}  // namespace kakitome::mail
