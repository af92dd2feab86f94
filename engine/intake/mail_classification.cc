#include "engine/intake/mail_classification.h"

#include <unicode/idna.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <memory>

#include "engine/form/text_normalization.h"
#include "engine/office/compound_file.h"

namespace kakitome::intake {

namespace {

constexpr std::size_t kMaxPasswordCharacters = 255;  // Office's own limit

std::vector<std::string> non_empty_lines(std::string_view text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string line = form::trim(text.substr(start, end - start));
        if (!line.empty()) lines.push_back(std::move(line));
        start = end + 1;
    }
    return lines;
}

std::size_t utf8_characters(std::string_view text) {
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xc0) != 0x80; }));
}

bool ends_with_ignoring_case(std::string name, std::string_view suffix) {
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

const char* mail_kind_name(MailKind kind) {
    switch (kind) {
        case MailKind::form:
            return "form";
        case MailKind::password:
            return "password";
        case MailKind::unrelated:
            return "unrelated";
        case MailKind::rejected:
            return "rejected";
    }
    return "unrelated";
}

bool subject_matches(std::string_view subject) {
    std::string key = form::matching_key(subject);  // NFKC, case-folded, no whitespace
    // Reply and forward prefixes, possibly repeated ("Re: Fw: ..."), in the forms clients use.
    static const std::string prefixes[] = {"re:", "fw:", "fwd:", "転送:", "返信:", "aw:", "wg:"};
    for (bool stripped = true; stripped;) {
        stripped = false;
        for (const auto& prefix : prefixes) {
            const std::string folded = form::matching_key(prefix);
            if (key.rfind(folded, 0) == 0) {
                key.erase(0, folded.size());
                stripped = true;
            }
        }
        // "Re[2]:" as some clients write it.
        if (key.rfind("re[", 0) == 0) {
            const auto close = key.find("]:");
            if (close != std::string::npos) {
                key.erase(0, close + 2);
                stripped = true;
            }
        }
    }
    static const std::string expected = form::matching_key("PR 動画利用申請");
    return key == expected;
}

std::string normalize_sender(std::string_view address) {
    const auto at = address.rfind('@');
    std::string local(address.substr(0, at == std::string_view::npos ? address.size() : at));
    std::string domain(at == std::string_view::npos ? "" : address.substr(at + 1));
    std::transform(local.begin(), local.end(), local.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    UErrorCode error = U_ZERO_ERROR;
    static std::unique_ptr<icu::IDNA> idna(
        icu::IDNA::createUTS46Instance(UIDNA_NONTRANSITIONAL_TO_ASCII, error));
    std::string ascii;
    if (idna && U_SUCCESS(error)) {
        icu::StringByteSink<std::string> sink(&ascii);
        icu::IDNAInfo info;
        UErrorCode status = U_ZERO_ERROR;
        idna->nameToASCII_UTF8(icu::StringPiece(domain.data(), static_cast<int32_t>(domain.size())),
                               sink, info, status);
        if (U_FAILURE(status) || info.hasErrors()) ascii.clear();
    }
    if (ascii.empty()) {  // not a valid IDN: compare it folded, as written
        ascii = domain;
        std::transform(ascii.begin(), ascii.end(), ascii.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    }
    return local + "@" + ascii;
}

MailClassification classify_mail(const MailMessage& mail) {
    MailClassification result;
    if (!subject_matches(mail.subject)) {
        result.kind = MailKind::unrelated;
        return result;
    }
    result.kind = MailKind::rejected;
    if (mail.attachments.size() > 1) {
        result.reason = "multiple_attachments";
        result.detail = "a form mail carries exactly one attachment; this one has " +
                        std::to_string(mail.attachments.size());
        return result;
    }
    if (mail.attachments.size() == 1) {
        const MailAttachment& attachment = mail.attachments.front();
        if (office::CompoundFile::has_signature(attachment.bytes)) {
            auto container = office::CompoundFile::parse(attachment.bytes);
            if (!container.is_ok() || !container->read_root_stream("EncryptionInfo").is_ok()) {
                result.reason = "attachment_not_office";
                // The file name may name the applicant; the refusal is stored in the clear and
                // outlives the mail's erasure, so it carries the extension at most.
                const auto dot = attachment.filename.rfind('.');
                const std::string extension =
                    dot == std::string::npos || attachment.filename.size() - dot > 8
                        ? std::string()
                        : " (" + attachment.filename.substr(dot) + ")";
                result.detail =
                    "the attachment is a compound file without Office encryption" + extension;
                return result;
            }
            result.kind = MailKind::form;
            result.attachment = &attachment;
            if (mail.text_body && !non_empty_lines(*mail.text_body).empty())
                result.warnings.push_back("form_mail_has_body");
            if (!ends_with_ignoring_case(attachment.filename, ".xlsx"))
                result.warnings.push_back("attachment_not_named_xlsx");
            return result;
        }
        if (attachment.bytes.rfind("PK\x03\x04", 0) == 0) {
            result.reason = "attachment_not_encrypted";
            result.detail =
                "the form was sent without a read password; personal data must not travel "
                "unprotected";
        } else {
            result.reason = "attachment_not_office";
            result.detail =
                "the attachment (" + attachment.content_type + ") is not an Office document";
        }
        return result;
    }
    std::vector<std::string> lines;
    if (mail.text_body) lines = non_empty_lines(*mail.text_body);
    if (lines.empty() && mail.html_body) lines = non_empty_lines(html_to_text(*mail.html_body));
    if (lines.empty()) {
        result.reason = "no_attachment";
        result.detail =
            "the mail has the application subject but neither an attachment nor a password";
        return result;
    }
    if (utf8_characters(lines.front()) > kMaxPasswordCharacters) {
        result.reason = "password_too_long";
        result.detail = "the first line is longer than Office's 255-character password limit";
        return result;
    }
    // Nobody can type a control character into Office's password box; a NUL from a base64 body
    // would also end the password early in C-string tools.
    if (std::any_of(lines.front().begin(), lines.front().end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
        result.reason = "password_has_control_characters";
        result.detail =
            "the password line holds a control character (NUL, tab, ...), which no password can "
            "contain";
        return result;
    }
    result.kind = MailKind::password;
    result.password = lines.front();
    if (lines.size() > 1) result.warnings.push_back("signature_ignored");
    return result;
}

}  // namespace kakitome::intake
