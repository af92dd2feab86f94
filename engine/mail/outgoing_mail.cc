#include "engine/mail/outgoing_mail.h"

#include <ctime>

#include "events/base/base64.h"

namespace kakitome::mail {

namespace {

bool is_ascii(std::string_view text) {
    for (unsigned char c : text) {
        if (c >= 0x80 || c < 0x20) return false;
    }
    return true;
}

std::size_t utf8_sequence_length(unsigned char lead) {
    if (lead < 0x80) return 1;
    if ((lead >> 5) == 0x6) return 2;
    if ((lead >> 4) == 0xE) return 3;
    if ((lead >> 3) == 0x1E) return 4;
    return 1;
}

}  // namespace

std::string encode_header_words(std::string_view text) {
    if (is_ascii(text)) return std::string(text);
    // "=?UTF-8?B?" + base64 + "?=" <= 75 characters leaves 60 base64 characters: 45 bytes.
    constexpr std::size_t kMaxBytes = 45;
    std::string out;
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t end = at;
        while (end < text.size()) {
            const std::size_t length = utf8_sequence_length(static_cast<unsigned char>(text[end]));
            if (end + length - at > kMaxBytes) break;
            end += length;
        }
        if (!out.empty()) out += "\r\n ";
        out += "=?UTF-8?B?" + base64_encode(text.substr(at, end - at)) + "?=";
        at = end;
    }
    return out;
}

std::string rfc5322_date(std::int64_t epoch_ms) {
    const std::time_t jst = static_cast<std::time_t>(epoch_ms / 1000 + 9 * 3600);
    std::tm parts{};
    gmtime_r(&jst, &parts);
    char text[64];
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S +0900", &parts);
    return text;
}

std::string render_rfc5322(const OutgoingMail& mail) {
    std::string body;
    for (char c : mail.body) {
        if (c == '\n') body += '\r';
        body += c;
    }
    const std::string encoded = base64_encode(body);
    std::string wrapped;
    for (std::size_t at = 0; at < encoded.size(); at += 76)
        wrapped += encoded.substr(at, 76) + "\r\n";
    const std::string from = mail.from_name.empty()
                                 ? mail.from
                                 : encode_header_words(mail.from_name) + " <" + mail.from + ">";
    const std::string threading = mail.in_reply_to.empty()
                                      ? std::string()
                                      : "In-Reply-To: <" + mail.in_reply_to + ">\r\nReferences: <" +
                                            mail.in_reply_to + ">\r\n";
    return "From: " + from + "\r\nTo: " + mail.to +
           "\r\nSubject: " + encode_header_words(mail.subject) +
           "\r\nDate: " + rfc5322_date(mail.date_ms) + "\r\nMessage-ID: <" + mail.message_id +
           ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; "
           "charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n"
           "Auto-Submitted: " +
           (mail.in_reply_to.empty() ? "auto-generated" : "auto-replied") + "\r\n" + threading +
           "\r\n" + wrapped;
}

}  // namespace kakitome::mail
