#include "engine/download/download_service.h"

#include "engine/domain/access_events.h"
#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/domain/upcasting.h"
#include "engine/download/sigv4.h"
#include "engine/workflow/application_record.h"
#include "engine/workflow/workflow_commands.h"
#include "events/base/sha256.h"
#include "events/base/timestamp.h"

namespace kakitome::download {

namespace {

bool is_token_shaped(const std::string& token) {
    if (token.size() != 43) return false;  // 32 bytes in unpadded base64url
    for (unsigned char c : token) {
        if (!std::isalnum(c) && c != '-' && c != '_') return false;
    }
    return true;
}

std::string explanation(const std::string& reason) {
    if (reason == "expired") {
        return "このダウンロードURLは有効期限が切れています。事務局に再発行をご依頼ください。\n"
               "This download link has expired. Please ask the secretariat for a new one.\n";
    }
    if (reason == "revoked") {
        return "このダウンロードURLは無効になりました（再発行または取り消し）。最新のご案内メールの"
               "URLをご利用ください。\n"
               "This download link has been revoked or replaced. Please use the link in the latest "
               "mail.\n";
    }
    return "この申請は取り下げられたか、削除されたため、ダウンロードできません。\n"
           "This application was withdrawn or erased; the video can no longer be downloaded.\n";
}

}  // namespace

DownloadService::DownloadService(EventStore& store, const workflow::WorkflowConfig& config,
                                 std::function<std::int64_t()> clock_ms)
    : store_(store), config_(config), clock_ms_(std::move(clock_ms)) {}

Result<DownloadResponse> DownloadService::handle(const DownloadRequest& request) {
    DownloadResponse response;
    response.body = "このURLは見つかりません。\nThis link does not exist.\n";
    if (!is_token_shaped(request.token)) return response;
    const std::string token_sha256 = to_hex(sha256(request.token));
    auto issued = domain::read_current_stream(store_, domain::token_stream(token_sha256));
    if (!issued.is_ok()) return issued.status();
    if (issued->empty()) return response;
    auto owner = domain::decode<domain::DownloadTokenIssued>(issued->front());
    if (!owner.is_ok()) return owner.status();
    response.application = owner->application;
    // A download racing a revoke: reload and try again, the revoke wins or the download lands
    // first.
    for (int attempt = 0; attempt < 5; ++attempt) {
        auto record = workflow::load_application(store_, response.application);
        if (!record.is_ok()) return record.status();
        const std::int64_t now = clock_ms_();
        const workflow::IssuedUrl* url = record->find_url(token_sha256);
        std::string refused;
        if (record->erased || record->state == domain::ApplicationState::withdrawn) {
            refused = "withdrawn_or_erased";
        } else if (!url || url->revoked) {
            refused = "revoked";
        } else if (url->expired || now >= url->expires_at_ms) {
            refused = "expired";
        }
        const domain::EventContext context{.actor = "anonymous", .correlation = request.request_id};
        NewEvent event =
            refused.empty()
                ? domain::new_event(
                      domain::UrlDownloaded{token_sha256, request.request_id, request.remote,
                                            request.user_agent, config_.presigned_seconds},
                      context)
                : domain::new_event(
                      domain::UrlDownloadRefused{token_sha256, request.request_id, request.remote,
                                                 request.user_agent, refused},
                      context);
        auto appended = store_.append(domain::application_stream(response.application),
                                      ExpectedVersion::exact(record->version), {std::move(event)});
        if (!appended.is_ok()) {
            if (appended.status().code() == StatusCode::conflict) continue;
            return appended.status();  // no event, no link: the server answers 503
        }
        if (!refused.empty()) {
            response.status = 410;
            response.body = explanation(refused);
            return response;
        }
        response.status = 302;
        response.location = presign_get_url(config_.video, config_.storage_credentials, now / 1000,
                                            config_.presigned_seconds);
        response.body = "動画のダウンロードを開始します。\nRedirecting to the video.\n";
        return response;
    }
    return Status::unavailable("the application changed under five download attempts in a row")
        .with_reason("busy");
}

}  // namespace kakitome::download
