#include "engine/mail/smtp_sender.h"

#include <cstring>
#include <memory>

#include <curl/curl.h>

namespace kakitome::mail {

namespace {

struct Upload {
    const std::string& data;
    std::size_t offset = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto* upload = static_cast<Upload*>(user);
    const std::size_t length = std::min(size * count, upload->data.size() - upload->offset);
    std::memcpy(buffer, upload->data.data() + upload->offset, length);
    upload->offset += length;
    return length;
}

}  // namespace

Status send_smtp(const SmtpSettings& settings, const std::string& envelope_from,
                 const std::string& recipient, const std::string& message) {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) return Status::internal("curl_easy_init failed");
    const std::string from = "<" + envelope_from + ">";
    const std::string to = "<" + recipient + ">";
    curl_slist* recipients = curl_slist_append(nullptr, to.c_str());
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> recipients_guard(
        recipients, curl_slist_free_all);
    Upload upload{message};
    CURL* handle = curl.get();
    curl_easy_setopt(handle, CURLOPT_URL, settings.url.c_str());
    curl_easy_setopt(handle, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(handle, CURLOPT_MAIL_RCPT, recipients);
    curl_easy_setopt(handle, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(handle, CURLOPT_READDATA, &upload);
    curl_easy_setopt(handle, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_TIMEOUT, static_cast<long>(settings.timeout.count()));
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT, 10L);
    if (settings.require_tls)
        curl_easy_setopt(handle, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    if (!settings.username.empty()) {
        curl_easy_setopt(handle, CURLOPT_USERNAME, settings.username.c_str());
        curl_easy_setopt(handle, CURLOPT_PASSWORD, settings.password.c_str());
    }
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error);
    const CURLcode result = curl_easy_perform(handle);
    if (result != CURLE_OK) {
        return Status::unavailable(std::string("SMTP delivery to ") + settings.url +
                                   " failed: " + (error[0] ? error : curl_easy_strerror(result)))
            .with_reason("smtp_failed");
    }
    return Status::ok();
}

}  // namespace kakitome::mail
