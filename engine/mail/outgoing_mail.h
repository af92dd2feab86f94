// OutgoingMail: one mail kakitome sends, and its RFC 5322 bytes: UTF-8 text in base64, the
// subject as RFC 2047 encoded words, and a Message-ID fixed when the mail is queued so that a
// mail delivered twice (at-least-once delivery) is recognisably the same mail.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kakitome::mail {

struct OutgoingMail {
    std::string from;       // "pr-video@secretariat.example.jp"
    std::string from_name;  // display name, may be Japanese
    std::string to;
    std::string subject;
    std::string body;        // UTF-8, lines separated by "\n"
    std::string message_id;  // without angle brackets: "<mail-id>@<domain>"
    std::int64_t date_ms = 0;
    // The Message-ID this mail answers, without angle brackets; "" for a mail that answers none.
    // A reply is marked Auto-Submitted: auto-replied (RFC 3834), any other auto-generated.
    std::string in_reply_to;
};

std::string render_rfc5322(const OutgoingMail& mail);
// RFC 2047 B encoding in UTF-8, split into encoded words of at most 75 characters at character
// boundaries; ASCII-only text is returned unchanged.
std::string encode_header_words(std::string_view text);
// "Tue, 24 Nov 2026 19:53:00 +0900" (JST, the secretariat's zone).
std::string rfc5322_date(std::int64_t epoch_ms);

}  // namespace kakitome::mail
