#include "api/http/http_client.h"

#include <curl/curl.h>

namespace kakitome::http {

namespace {

struct Collected {
    std::string* body;
    std::size_t limit;
};

// Enforced here: libcurl 7.88's CURLOPT_MAXFILESIZE only checks a Content-Length it is given, not
// a chunked reply. Returning less than was offered makes libcurl abort (a write error).
std::size_t collect(char* data, std::size_t size, std::size_t count, void* out) {
    auto& collected = *static_cast<Collected*>(out);
    if (collected.body->size() + size * count > collected.limit) return 0;
    collected.body->append(data, size * count);
    return size * count;
}

}  // namespace

ClientReply send_request(const ClientRequest& request) {
    ClientReply reply;
    CURL* curl = curl_easy_init();
    if (!curl) {
        reply.error = "libcurl could not start";
        return reply;
    }
    curl_slist* headers = nullptr;
    for (const auto& header : request.headers) headers = curl_slist_append(headers, header.c_str());
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (request.method == "POST" || !request.body.empty()) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    Collected collected{&reply.body, static_cast<std::size_t>(request.max_reply_bytes)};
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &collected);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, request.timeout_seconds);
    // No signals: the calling thread may be one of many (libcurl's DNS timeout uses SIGALRM).
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE, request.max_reply_bytes);
    if (!request.authority_file.empty())
        curl_easy_setopt(curl, CURLOPT_CAINFO, request.authority_file.c_str());
    const CURLcode code = curl_easy_perform(curl);
    if (code == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
        char* type = nullptr;
        curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
        if (type) reply.content_type = type;
    } else {
        reply.error =
            code == CURLE_WRITE_ERROR
                ? "the reply is larger than " + std::to_string(request.max_reply_bytes) + " bytes"
                : curl_easy_strerror(code);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return reply;
}

}  // namespace kakitome::http
