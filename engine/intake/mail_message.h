// A received mail, parsed with GMime 3: decoded subject (RFC 2047 in ISO-2022-JP, Shift_JIS/CP932,
// UTF-8, B and Q), sender, Message-ID, text and HTML bodies converted to UTF-8, and attachments
// with their decoded names (RFC 2231, and the common encoded-word inside a quoted filename=).
//
// Refused before or while parsing, with a reason: "too_large" (resource_exhausted), "nul_bytes",
// "malformed_mime", "missing_sender", "unknown_charset" (invalid_argument). GMime is tolerant, so
// "malformed_mime" means nothing mail-like was found at all.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/base/status.h"

namespace kakitome::intake {

// What one mail may cost intake. Every bound is a reason a mail is rejected, never a crash.
struct MailLimits {
    std::size_t max_bytes = 25 * 1024 * 1024;
    // MIME containers (multiparts and attached messages) in one mail: nesting cost GMime 18 s
    // at 200,000 levels; a real application mail has one or two. Beyond: mime_too_deep.
    std::size_t max_mime_containers = 32;
    // The form's key derivation: see office::DecryptionLimits. Beyond: spin_count_too_high.
    std::uint32_t max_spin_count = 1'000'000;
    // Forms of one sender waiting for their password. Beyond: too_many_pending_forms.
    std::size_t max_pending_forms_per_sender = 5;
    // Password tries (one key derivation each, up to max_spin_count hashes) spent on one sender
    // in the last hour. A password mail beyond it: too_many_password_attempts.
    std::size_t max_password_tries_per_sender_per_hour = 20;
};

struct MailAttachment {
    std::string filename;  // UTF-8, may be empty
    std::string
        content_type;   // "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    std::string bytes;  // transfer encoding removed
};

struct MailMessage {
    std::string message_id;                // without angle brackets; empty when the mail has none
    std::string sender_address;            // the From mailbox's addr-spec as written
    std::string sender_display;            // display name, decoded
    std::string subject;                   // decoded, UTF-8
    std::string date;                      // RFC 3339 UTC, or "" when missing or unreadable
    std::optional<std::string> text_body;  // the first text/plain part, UTF-8
    std::optional<std::string> html_body;  // the first text/html part, UTF-8
    std::vector<MailAttachment> attachments;
    std::vector<std::string> warnings;
};

Result<MailMessage> parse_mail(std::string_view raw, const MailLimits& limits = {});

// What an automatic answer to a mail needs, read from its header block alone (at most
// kMaxReplyHeaderBytes), so that a mail refused for its size or its body can still be answered.
struct ReplyAddressing {
    std::string sender_address;
    std::string subject;     // decoded; "" when it is not valid UTF-8
    std::string message_id;  // without angle brackets, may be empty
    std::string date;        // RFC 3339 UTC, or ""
    // A mail nobody may answer automatically (RFC 3834 §2): Auto-Submitted other than "no",
    // Precedence bulk/junk/list/auto_reply, a List-Id/-Unsubscribe/-Post, Exchange's
    // X-Auto-Response-Suppress, X-Autoreply/X-Autorespond, a null Return-Path, or a robot's
    // mailbox (mailer-daemon, postmaster, noreply, no-reply, owner-*, *-request).
    bool automatic = false;
};
inline constexpr std::size_t kMaxReplyHeaderBytes = 64 * 1024;
// not_found (reason missing_sender) when the header names no From mailbox.
Result<ReplyAddressing> read_reply_addressing(std::string_view raw);

// Converts bytes in a MIME charset to UTF-8, treating Shift_JIS as CP932 and ISO-2022-JP as its
// common supersets, since that is what Japanese mail clients really send.
Result<std::string> charset_to_utf8(std::string_view bytes, std::string_view charset);

// The text of an HTML body, one line per block element, entities decoded (libxml2's parser).
std::string html_to_text(std::string_view html);

}  // namespace kakitome::intake
