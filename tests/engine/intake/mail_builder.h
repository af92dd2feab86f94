// Test support: builds mails the way Japanese clients send them, so intake is tested on more
// cases than the fixtures hold. Encodings are produced with GLib's converter (g_convert)
// and OpenSSL base64, not typed in by hand.
#pragma once

#include <glib.h>
#include <openssl/evp.h>

#include <string>
#include <vector>

namespace kakitome::testing {

inline std::string base64_lines(const std::string& bytes) {
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); i += 57) {
        const std::string chunk = bytes.substr(i, 57);
        std::string line(((chunk.size() + 2) / 3) * 4 + 1, '\0');
        line.resize(static_cast<std::size_t>(EVP_EncodeBlock(
            reinterpret_cast<unsigned char*>(line.data()),
            reinterpret_cast<const unsigned char*>(chunk.data()), static_cast<int>(chunk.size()))));
        out += line + "\r\n";
    }
    return out;
}

inline std::string convert(const std::string& utf8, const char* charset) {
    gsize written = 0;
    gchar* converted = g_convert(utf8.data(), static_cast<gssize>(utf8.size()), charset, "UTF-8",
                                 nullptr, &written, nullptr);
    if (!converted) throw std::runtime_error("cannot convert test text to " + std::string(charset));
    std::string out(converted, written);
    g_free(converted);
    return out;
}

// RFC 2047 B encoded word of utf8 text in the given charset.
inline std::string encoded_word(const std::string& utf8, const char* charset) {
    std::string b64 = base64_lines(convert(utf8, charset));
    b64.erase(std::remove(b64.begin(), b64.end(), '\r'), b64.end());
    b64.erase(std::remove(b64.begin(), b64.end(), '\n'), b64.end());
    return "=?" + std::string(charset) + "?B?" + b64 + "?=";
}

struct TestAttachment {
    std::string filename_header;  // the whole filename parameter, e.g. filename="a.xlsx"
    std::string content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    std::string bytes;
};

inline std::string build_mail(const std::string& from, const std::string& subject_header,
                              const std::string& message_id, const std::string& body_headers,
                              const std::string& body,
                              const std::vector<TestAttachment>& attachments = {}) {
    std::string mail = "From: " + from +
                       "\r\nTo: info@mainahokensyou.com\r\nSubject: " + subject_header +
                       "\r\nMessage-ID: <" + message_id +
                       ">\r\nDate: Tue, 10 Jun 2025 09:00:00 +0900\r\nMIME-Version: 1.0\r\n";
    if (attachments.empty()) return mail + body_headers + "\r\n" + body;
    mail += "Content-Type: multipart/mixed; boundary=\"XX-boundary\"\r\n\r\n";
    mail += "--XX-boundary\r\n" + body_headers + "\r\n" + body + "\r\n";
    for (const auto& attachment : attachments) {
        mail += "--XX-boundary\r\nContent-Type: " + attachment.content_type +
                "\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment;\r\n " +
                attachment.filename_header + "\r\n\r\n" + base64_lines(attachment.bytes);
    }
    return mail + "--XX-boundary--\r\n";
}

}  // namespace kakitome::testing
