#include "engine/intake/imap_poller.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

namespace kakitome::intake {

namespace {

struct Capture {
    std::string data;
    std::size_t max_bytes;
    bool truncated = false;
};

std::size_t write_capped(char* data, std::size_t size, std::size_t count, void* user) {
    auto* capture = static_cast<Capture*>(user);
    const std::size_t bytes = size * count;
    const std::size_t room =
        capture->max_bytes > capture->data.size() ? capture->max_bytes - capture->data.size() : 0;
    capture->data.append(data, std::min(bytes, room));
    if (bytes > room) capture->truncated = true;
    return bytes;  // keep reading so the connection stays usable; the excess is dropped
}

std::string get_part(CURLU* url, CURLUPart part) {
    char* value = nullptr;
    if (curl_url_get(url, part, &value, CURLU_URLDECODE) != CURLUE_OK || !value) return {};
    std::string out(value);
    curl_free(value);
    return out;
}

}  // namespace

ImapPoller::ImapPoller(IntakeService& intake, MetaStore& meta, ImapOptions options)
    : intake_(intake), meta_(meta), options_(std::move(options)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    CURLU* url = curl_url();
    if (curl_url_set(url, CURLUPART_URL, options_.url.c_str(), 0) == CURLUE_OK) {
        const std::string scheme = get_part(url, CURLUPART_SCHEME);
        const std::string host = get_part(url, CURLUPART_HOST);
        const std::string port = get_part(url, CURLUPART_PORT);
        user_ = get_part(url, CURLUPART_USER);
        password_ = get_part(url, CURLUPART_PASSWORD);
        std::string path = get_part(url, CURLUPART_PATH);
        mailbox_name_ = path.size() > 1 ? path.substr(1) : "INBOX";
        base_url_ = scheme + "://" + host + (port.empty() ? "" : ":" + port) + "/";
        mailbox_ = scheme + "://" + user_ + "@" + host + (port.empty() ? "" : ":" + port) + "/" +
                   mailbox_name_;
    }
    curl_url_cleanup(url);
    curl_ = curl_easy_init();
}

ImapPoller::~ImapPoller() {
    if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Result<std::string> ImapPoller::request(const std::string& url, const std::string& command,
                                        std::size_t max_bytes) {
    CURL* curl = static_cast<CURL*>(curl_);
    if (!curl || base_url_.empty())
        return Status::invalid_argument("not a usable IMAP URL: " + mailbox_);
    Capture capture{.max_bytes = max_bytes};
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_USERNAME, user_.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, password_.c_str());
    if (!command.empty()) curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, command.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_capped);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &capture);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, options_.timeout_seconds);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
    const CURLcode code = curl_easy_perform(curl);
    if (code != CURLE_OK) {
        return Status::unavailable("IMAP " + (command.empty() ? std::string("FETCH") : command) +
                                   " on " + mailbox_ + ": " + curl_easy_strerror(code));
    }
    return capture.data;
}

Result<ImapPosition> ImapPoller::position() const {
    auto stored = meta_.get("imap:" + mailbox_);
    if (!stored.is_ok()) return stored.status();
    ImapPosition position;
    if (stored->has_value()) {
        const auto json = nlohmann::json::parse(**stored, nullptr, false);
        if (json.is_discarded()) return Status::corruption("stored IMAP position is not JSON");
        position.uid_validity = json.value("uid_validity", 0ull);
        position.last_uid = json.value("last_uid", 0ull);
    }
    return position;
}

Result<std::size_t> ImapPoller::poll_once(
    const std::function<void(std::uint64_t, const IngestOutcome&)>& on_mail) {
    auto stored = position();
    if (!stored.is_ok()) return stored.status();
    ImapPosition current = stored.value();

    auto examined = request(base_url_, "EXAMINE " + mailbox_name_, 1 << 20);
    if (!examined.is_ok()) return examined.status();
    std::smatch match;
    static const std::regex uid_validity(R"(\[UIDVALIDITY (\d+)\])", std::regex::icase);
    if (!std::regex_search(examined.value(), match, uid_validity)) {
        return Status::unavailable("the IMAP server did not report UIDVALIDITY for " + mailbox_);
    }
    const std::uint64_t validity = std::stoull(match[1]);
    if (validity != current.uid_validity)
        current = {validity, 0};  // UIDs restarted: read everything again

    const std::string mailbox_url = base_url_ + mailbox_name_;
    auto searched = request(
        mailbox_url, "UID SEARCH UID " + std::to_string(current.last_uid + 1) + ":*", 16 << 20);
    if (!searched.is_ok()) return searched.status();
    std::vector<std::uint64_t> uids;
    std::istringstream lines(searched.value());
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("* SEARCH", 0) != 0) continue;
        std::istringstream numbers(line.substr(8));
        // "UID n:*" always includes the highest UID even when it is below n: filter.
        for (std::uint64_t uid; numbers >> uid;) {
            if (uid > current.last_uid) uids.push_back(uid);
        }
    }
    std::sort(uids.begin(), uids.end());

    std::size_t ingested = 0;
    for (std::uint64_t uid : uids) {
        // UIDVALIDITY in the URL makes libcurl refuse the fetch if the mailbox was recreated
        // meanwhile.
        auto message = request(mailbox_url + ";UIDVALIDITY=" + std::to_string(validity) +
                                   ";UID=" + std::to_string(uid),
                               "", intake_.limits().max_bytes + 1);
        if (!message.is_ok()) return message.status();
        auto outcome = intake_.ingest(message.value(), "imap");
        if (!outcome.is_ok()) return outcome.status();
        current.last_uid = uid;
        KAKITOME_RETURN_IF_ERROR(
            meta_.put("imap:" + mailbox_,
                      nlohmann::json{{"uid_validity", validity}, {"last_uid", uid}}.dump()));
        ++ingested;
        if (on_mail) on_mail(uid, outcome.value());
    }
    if (uids.empty() && current.uid_validity != stored->uid_validity) {
        KAKITOME_RETURN_IF_ERROR(
            meta_.put("imap:" + mailbox_,
                      nlohmann::json{{"uid_validity", validity}, {"last_uid", 0}}.dump()));
    }
    return ingested;
}

}  // namespace kakitome::intake
