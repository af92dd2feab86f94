// What a received mail is to the secretariat (docs/design.md §4, intake issue):
// - form: subject 「PR 動画利用申請」 (after NFKC, whitespace folding, Re:/Fw: prefixes), exactly
//   one attachment that is an encrypted Office document;
// - password: same subject, no attachment, the password on the first non-empty line of the
//   text body (or of the HTML body's first block); later lines are a signature, kept out of the
//   password and reported as a warning;
// - unrelated: any other subject (kept, not processed);
// - rejected: the subject matches but the mail cannot be either (reason says why).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/intake/mail_message.h"

namespace kakitome::intake {

enum class MailKind { form, password, unrelated, rejected };
const char* mail_kind_name(MailKind kind);

struct MailClassification {
    MailKind kind = MailKind::unrelated;
    std::string
        reason;  // for rejected: no_attachment, multiple_attachments, attachment_not_office,
                 // attachment_not_encrypted, password_too_long, empty_password_mail
    std::string detail;
    std::string password;  // for password mails; held in memory only, never written in clear
    std::vector<std::string> warnings;
    const MailAttachment* attachment = nullptr;  // for form mails
};

MailClassification classify_mail(const MailMessage& mail);
bool subject_matches(std::string_view subject);

// Lower-cased addr-spec with the domain in IDNA ASCII form (UTS #46), so the same mailbox
// written differently pairs: "Koho@Sakura-HP.example.jp" and "koho@sakura-hp.example.jp".
std::string normalize_sender(std::string_view address);

}  // namespace kakitome::intake
