#include "projections/downloads_projection.h"

#include <functional>

#include <nlohmann/json.hpp>

#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"

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

Status DownloadsProjection::apply(const RecordedEvent& event, ChangedRows& changed) {
    using namespace domain;
    const auto application = application_of(event.stream);
    if (!application) return Status::ok();
    // Which link an event is about, and what it does to it.
    std::optional<std::string> token;
    std::function<void(DownloadLink&)> change;
    KAKITOME_RETURN_IF_ERROR(when<UrlIssued>(event, [&](const UrlIssued& issued) {
        links_[*application].push_back(
            {issued.token_sha256, issued.issued_at, issued.expires_at, "", 0, 0, ""});
        changed.insert(*application);
    }));
    KAKITOME_RETURN_IF_ERROR(when<UrlRevoked>(event, [&](const UrlRevoked& revoked) {
        token = revoked.token_sha256;
        change = [](DownloadLink& link) { link.ended = "revoked"; };
    }));
    KAKITOME_RETURN_IF_ERROR(when<UrlExpired>(event, [&](const UrlExpired& expired) {
        token = expired.token_sha256;
        change = [](DownloadLink& link) { link.ended = "expired"; };
    }));
    KAKITOME_RETURN_IF_ERROR(when<UrlDownloaded>(event, [&](const UrlDownloaded& downloaded) {
        token = downloaded.token_sha256;
        change = [&event](DownloadLink& link) {
            ++link.downloads;
            link.last_download_at = event.at;
        };
    }));
    KAKITOME_RETURN_IF_ERROR(
        when<UrlDownloadRefused>(event, [&](const UrlDownloadRefused& refused) {
            token = refused.token_sha256;
            change = [](DownloadLink& link) { ++link.refused; };
        }));
    if (!token) return Status::ok();
    auto& links = links_[*application];
    changed.insert(*application);
    for (auto& link : links)
        if (link.token_sha256 == *token) change(link);
    return Status::ok();
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
