#include "engine/intake/mail_message.h"

#include <gmime/gmime.h>
#include <libxml/HTMLparser.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>

#include "events/base/json_text.h"
#include "events/base/timestamp.h"

namespace kakitome::intake {

namespace {

void initialise_gmime() {
    static std::once_flag once;
    std::call_once(once, [] { g_mime_init(); });
}

struct GObjectDeleter {
    void operator()(void* object) const {
        if (object) g_object_unref(object);
    }
};
template <typename T>
using GObjectPointer = std::unique_ptr<T, GObjectDeleter>;

// GMime's reading of a message, as tolerant as Japanese mail clients need (loose RFC 2047 words
// and parameters, Japanese fallback charsets); null when nothing mail-like is there.
GObjectPointer<GMimeMessage> construct_message(std::string_view bytes) {
    initialise_gmime();
    GObjectPointer<GMimeStream> stream(
        g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size()));
    GObjectPointer<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
    GMimeParserOptions* options = g_mime_parser_options_new();
    g_mime_parser_options_set_rfc2047_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_parameter_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
    const char* fallback[] = {"UTF-8", "CP932", "ISO-2022-JP", nullptr};
    g_mime_parser_options_set_fallback_charsets(options, fallback);
    GObjectPointer<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), options));
    g_mime_parser_options_free(options);
    return message;
}

Status rejected(StatusCode code, const std::string& reason, const std::string& message) {
    return Status(code, message).with_reason(reason);
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// The part's content with its transfer encoding removed.
std::string decoded_content(GMimePart* part) {
    GMimeDataWrapper* content = g_mime_part_get_content(part);
    if (!content) return {};
    GObjectPointer<GMimeStream> stream(g_mime_stream_mem_new());
    g_mime_data_wrapper_write_to_stream(content, stream.get());
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream.get()));
    return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

struct WalkState {
    MailMessage* mail;
    Status failure;
};

void visit_part(GMimeObject* /*parent*/, GMimeObject* object, gpointer data) {
    auto* state = static_cast<WalkState*>(data);
    if (!state->failure.is_ok() || !GMIME_IS_PART(object)) return;
    GMimePart* part = GMIME_PART(object);
    GMimeContentType* type = g_mime_object_get_content_type(object);
    auto text_or_empty = [](const char* text) { return std::string(text ? text : ""); };
    const std::string media =
        type ? lower(text_or_empty(g_mime_content_type_get_media_type(type)) + "/" +
                     text_or_empty(g_mime_content_type_get_media_subtype(type)))
             : "text/plain";
    const char* filename = g_mime_part_get_filename(part);
    const bool is_text = media == "text/plain" || media == "text/html";
    if (g_mime_part_is_attachment(part) || (filename && *filename) || !is_text) {
        state->mail->attachments.push_back(
            {filename ? filename : "", media, decoded_content(part)});
        return;
    }
    std::optional<std::string>& body =
        media == "text/plain" ? state->mail->text_body : state->mail->html_body;
    if (body) {
        state->mail->warnings.push_back(
            "extra_" + std::string(media == "text/plain" ? "text" : "html") + "_part_ignored");
        return;
    }
    const char* charset = type ? g_mime_content_type_get_parameter(type, "charset") : nullptr;
    auto text = charset_to_utf8(decoded_content(part), charset ? charset : "");
    if (!text.is_ok()) {
        state->failure = text.status();
        return;
    }
    body = std::move(text).value();
}

std::string iconv_name(std::string charset) {
    charset = lower(std::move(charset));
    if (charset == "shift_jis" || charset == "shift-jis" || charset == "sjis" ||
        charset == "x-sjis" || charset == "windows-31j" || charset == "cp932" ||
        charset == "ms932") {
        return "CP932";  // the superset Windows clients actually write (①, ～, NEC specials)
    }
    if (charset == "iso-2022-jp" || charset == "csiso2022jp") return "ISO-2022-JP-2";
    if (charset == "euc-jp" || charset == "x-euc-jp") return "EUC-JP-MS";
    return charset;
}

// An upper bound on MIME nesting, counted before GMime parses anything (GMime recurses once per
// level): every container level is a Content-Type header line whose type is multipart/* or
// message/*, however its parameters are written (boundary*=, RFC 2231, comments). Header lines
// inside bodies count too, which only errs on the safe side for mails far beyond an application.
std::size_t count_mime_containers(std::string_view raw) {
    auto lower_at = [&](std::size_t i) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(raw[i])));
    };
    auto word_at = [&](std::size_t i, std::string_view word) {
        if (i + word.size() > raw.size()) return false;
        for (std::size_t k = 0; k < word.size(); ++k)
            if (lower_at(i + k) != word[k]) return false;
        return true;
    };
    std::size_t count = 0;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if ((i != 0 && raw[i - 1] != '\n') || !word_at(i, "content-type")) continue;
        std::size_t at = i + 12;
        while (at < raw.size() && (raw[at] == ' ' || raw[at] == '\t')) ++at;
        if (at >= raw.size() || raw[at] != ':') continue;
        ++at;
        // White space (folded lines too) and (comments) before the type.
        for (int depth = 0; at < raw.size(); ++at) {
            const char c = raw[at];
            if (c == '(')
                ++depth;
            else if (c == ')' && depth > 0)
                --depth;
            else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' && c != '\n')
                break;
        }
        if (word_at(at, "multipart/") || word_at(at, "message/")) ++count;
    }
    return count;
}

}  // namespace

Result<std::string> charset_to_utf8(std::string_view bytes, std::string_view charset) {
    std::string name = iconv_name(std::string(charset));
    if (name.empty() || name == "us-ascii" || name == "utf-8" || name == "utf8") {
        if (is_valid_utf8(bytes)) return std::string(bytes);
        if (!name.empty() && name != "us-ascii") {
            return rejected(StatusCode::invalid_argument, "invalid_text",
                            "body declared UTF-8 is not valid UTF-8");
        }
        name = "CP932";  // undeclared 8-bit text from a Japanese client is almost always CP932
    }
    GIConv converter = g_iconv_open("UTF-8", name.c_str());
    if (converter == reinterpret_cast<GIConv>(-1)) {
        return rejected(StatusCode::invalid_argument, "unknown_charset",
                        "unknown charset " + std::string(charset));
    }
    g_iconv_close(converter);
    GError* error = nullptr;
    gsize written = 0;
    gchar* converted = g_convert(bytes.data(), static_cast<gssize>(bytes.size()), "UTF-8",
                                 name.c_str(), nullptr, &written, &error);
    if (!converted) {
        std::string message = error ? error->message : "conversion failed";
        if (error) g_error_free(error);
        return rejected(StatusCode::invalid_argument, "invalid_text",
                        "cannot read the body as " + std::string(charset) + ": " + message);
    }
    std::string out(converted, written);
    g_free(converted);
    return out;
}

std::string html_to_text(std::string_view html) {
    htmlDocPtr document = htmlReadMemory(
        html.data(), static_cast<int>(html.size()), nullptr, "UTF-8",
        HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET | HTML_PARSE_NOIMPLIED);
    if (!document) return {};
    std::string text;
    // Depth-first walk: text nodes appended, block elements and <br> end a line.
    auto walk = [&](auto&& self, xmlNodePtr node) -> void {
        for (; node; node = node->next) {
            if (node->type == XML_TEXT_NODE && node->content) {
                text += reinterpret_cast<const char*>(node->content);
            } else if (node->type == XML_ELEMENT_NODE) {
                const std::string name = reinterpret_cast<const char*>(node->name);
                if (name == "script" || name == "style" || name == "head") continue;
                self(self, node->children);
                static const char* blocks[] = {"p",  "div", "br", "li",         "tr",
                                               "h1", "h2",  "h3", "blockquote", "pre"};
                if (std::any_of(std::begin(blocks), std::end(blocks),
                                [&](const char* block) { return name == block; })) {
                    text += '\n';
                }
            }
        }
    };
    walk(walk, xmlDocGetRootElement(document));
    xmlFreeDoc(document);
    return text;
}

Result<MailMessage> parse_mail(std::string_view raw, const MailLimits& limits) {
    if (raw.size() > limits.max_bytes) {
        return rejected(StatusCode::resource_exhausted, "too_large",
                        "the mail is " + std::to_string(raw.size()) + " bytes; the limit is " +
                            std::to_string(limits.max_bytes));
    }
    if (raw.find('\0') != std::string_view::npos) {
        return rejected(StatusCode::invalid_argument, "nul_bytes",
                        "the mail contains NUL bytes, which RFC 5322 forbids");
    }
    if (const std::size_t containers = count_mime_containers(raw);
        containers > limits.max_mime_containers) {
        return rejected(StatusCode::resource_exhausted, "mime_too_deep",
                        "the mail declares " + std::to_string(containers) +
                            " MIME containers; at most " +
                            std::to_string(limits.max_mime_containers) + " are read");
    }
    GObjectPointer<GMimeMessage> message = construct_message(raw);
    if (!message)
        return rejected(StatusCode::invalid_argument, "malformed_mime", "not a MIME message");

    GMimeHeaderList* headers = g_mime_object_get_header_list(GMIME_OBJECT(message.get()));
    if (!headers || g_mime_header_list_get_count(headers) == 0) {
        return rejected(StatusCode::invalid_argument, "malformed_mime", "the mail has no headers");
    }

    MailMessage mail;
    if (const char* id = g_mime_message_get_message_id(message.get())) mail.message_id = id;
    if (const char* subject = g_mime_message_get_subject(message.get())) mail.subject = subject;
    if (!is_valid_utf8(mail.subject)) mail.subject.clear();
    InternetAddressList* from = g_mime_message_get_from(message.get());
    for (int i = 0; from && i < internet_address_list_length(from); ++i) {
        InternetAddress* address = internet_address_list_get_address(from, i);
        if (INTERNET_ADDRESS_IS_MAILBOX(address)) {
            const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
            const char* name = internet_address_get_name(address);
            mail.sender_address = addr ? addr : "";
            mail.sender_display = name && is_valid_utf8(name) ? name : "";
            break;
        }
    }
    if (mail.sender_address.empty() || mail.sender_address.find('@') == std::string::npos) {
        return rejected(StatusCode::invalid_argument, "missing_sender",
                        "the mail has no usable From address");
    }
    if (GDateTime* date = g_mime_message_get_date(message.get())) {
        mail.date = format_rfc3339_ms(g_date_time_to_unix(date) * 1000);
    }

    WalkState state{&mail, Status::ok()};
    GMimeObject* body = g_mime_message_get_mime_part(message.get());
    if (body && GMIME_IS_PART(body)) {
        visit_part(nullptr, body, &state);
    } else if (body) {
        g_mime_message_foreach(message.get(), visit_part, &state);
    }
    if (!state.failure.is_ok()) return state.failure;
    return mail;
}

Result<ReplyAddressing> read_reply_addressing(std::string_view raw) {
    std::size_t end = raw.find("\r\n\r\n");
    if (end == std::string_view::npos) end = raw.find("\n\n");
    std::string header(raw.substr(0, std::min({end, raw.size(), kMaxReplyHeaderBytes})));
    if (header.find('\0') != std::string::npos) {
        return rejected(StatusCode::invalid_argument, "nul_bytes",
                        "the mail's header contains NUL bytes");
    }
    header += "\r\n\r\n";
    GObjectPointer<GMimeMessage> message = construct_message(header);
    if (!message)
        return rejected(StatusCode::invalid_argument, "malformed_mime", "not a MIME message");
    ReplyAddressing addressing;
    if (const char* id = g_mime_message_get_message_id(message.get())) addressing.message_id = id;
    if (const char* subject = g_mime_message_get_subject(message.get()))
        addressing.subject = subject;
    if (!is_valid_utf8(addressing.subject)) addressing.subject.clear();
    if (GDateTime* date = g_mime_message_get_date(message.get()))
        addressing.date = format_rfc3339_ms(g_date_time_to_unix(date) * 1000);
    InternetAddressList* from = g_mime_message_get_from(message.get());
    for (int i = 0; from && i < internet_address_list_length(from); ++i) {
        InternetAddress* address = internet_address_list_get_address(from, i);
        if (!INTERNET_ADDRESS_IS_MAILBOX(address)) continue;
        const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
        addressing.sender_address = addr ? addr : "";
        break;
    }
    if (addressing.sender_address.find('@') == std::string::npos ||
        !is_valid_utf8(addressing.sender_address)) {
        return rejected(StatusCode::not_found, "missing_sender",
                        "the mail has no usable From address");
    }
    GMimeObject* object = GMIME_OBJECT(message.get());
    auto header_value = [&](const char* name) {
        const char* value = g_mime_object_get_header(object, name);
        std::string text = value ? lower(value) : std::string();
        text.erase(0, text.find_first_not_of(" \t"));
        text.erase(text.find_last_not_of(" \t\r\n") + 1);
        return text;
    };
    const std::string auto_submitted = header_value("Auto-Submitted");
    const std::string precedence = header_value("Precedence");
    const std::string return_path = header_value("Return-Path");
    const std::string local =
        lower(addressing.sender_address.substr(0, addressing.sender_address.find('@')));
    const bool robot_mailbox = local == "mailer-daemon" || local == "postmaster" ||
                               local == "noreply" || local == "no-reply" ||
                               local == "do-not-reply" || local.starts_with("owner-") ||
                               local.ends_with("-request");
    addressing.automatic =
        (!auto_submitted.empty() && auto_submitted != "no") || precedence == "bulk" ||
        precedence == "junk" || precedence == "list" || precedence == "auto_reply" ||
        !header_value("List-Id").empty() || !header_value("List-Unsubscribe").empty() ||
        !header_value("List-Post").empty() || !header_value("X-Auto-Response-Suppress").empty() ||
        !header_value("X-Autoreply").empty() || !header_value("X-Autorespond").empty() ||
        return_path == "<>" || robot_mailbox;
    // An address or Message-ID no SMTP server or header line can carry (RFC 5321 §4.5.3.1,
    // RFC 5322 §2.1.1) is not answered rather than answered into a permanent failure.
    const auto& address = addressing.sender_address;
    if (address.size() > 254 || address.find_first_of(" \t<>\r\n\"") != std::string::npos) {
        return rejected(StatusCode::not_found, "missing_sender",
                        "the From address cannot be written back to");
    }
    if (addressing.message_id.size() > 250) addressing.message_id.clear();
    return addressing;
}

}  // namespace kakitome::intake
