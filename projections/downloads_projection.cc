#include "projections/downloads_projection.h"

#include <nlohmann/json.hpp>

namespace kakitome {

using nlohmann::json;

namespace {

json link_json(const DownloadLink& link) {
    return {{"token_sha256", link.token_sha256},
            {"issued_at", link.issued_at},
            {"expires_at", link.expires_at},
            {"ended", link.ended},
            {"downloads", link.downloads},
            {"refused", link.refused},
            {"last_download_at", link.last_download_at}};
}

}  // namespace

void DownloadsProjection::apply(const RecordedEvent& event, std::set<std::string>& changed) {
    static const std::set<std::string> types = {"UrlIssued", "UrlRevoked", "UrlExpired",
                                                "UrlDownloaded", "UrlDownloadRefused"};
    if (event.stream.rfind("application-", 0) != 0 || !types.count(event.type)) return;
    const std::string application = event.stream.substr(12);
    const json payload = json::parse(event.payload_json);
    const std::string token = payload.value("token_sha256", "");
    auto& links = links_[application];
    changed.insert(application);
    if (event.type == "UrlIssued") {
        links.push_back(
            {token, payload.value("issued_at", ""), payload.value("expires_at", ""), "", 0, 0, ""});
        return;
    }
    for (auto& link : links) {
        if (link.token_sha256 != token) continue;
        if (event.type == "UrlRevoked") link.ended = "revoked";
        if (event.type == "UrlExpired") link.ended = "expired";
        if (event.type == "UrlDownloaded") {
            ++link.downloads;
            link.last_download_at = event.at;
        }
        if (event.type == "UrlDownloadRefused") ++link.refused;
    }
}

std::vector<std::string> DownloadsProjection::keys() const {
    std::vector<std::string> keys;
    for (const auto& [key, links] : links_) keys.push_back(key);
    return keys;
}

std::optional<std::string> DownloadsProjection::row(const std::string& key) const {
    auto found = links_.find(key);
    if (found == links_.end()) return std::nullopt;
    json out = json::array();
    for (const auto& link : found->second) out.push_back(link_json(link));
    return out.dump();
}

bool DownloadsProjection::load_row(const std::string& key, const std::string& bytes) {
    const auto in = json::parse(bytes, nullptr, false);
    if (!in.is_array()) return false;
    std::vector<DownloadLink> links;
    try {
        for (const auto& link : in) {
            links.push_back({link.at("token_sha256"), link.at("issued_at"), link.at("expires_at"),
                             link.at("ended"), link.at("downloads"), link.at("refused"),
                             link.at("last_download_at")});
        }
    } catch (const json::exception&) {
        return false;
    }
    links_[key] = std::move(links);
    return true;
}

const std::vector<DownloadLink>* DownloadsProjection::links(const std::string& application) const {
    auto found = links_.find(application);
    return found == links_.end() ? nullptr : &found->second;
}

std::string DownloadsProjection::to_json() const {
    json out = json::object();
    for (const auto& [application, links] : links_) {
        json list = json::array();
        for (const auto& link : links) list.push_back(link_json(link));
        out[application] = list;
    }
    return out.dump();
}

}  // namespace kakitome
