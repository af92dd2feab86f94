// DownloadService: `GET /d/<token>` (docs/design.md §4), as a function the HTTP server calls.
//
// The token's SHA-256 names a `token-<hash>` stream that points to its application; the
// application's stream decides. A live link appends `UrlDownloaded` (expected version, so a
// concurrent revoke wins or loses cleanly) and answers 302 to a presigned GET of the video,
// valid for `presigned_seconds`. A revoked or expired link, or one of a withdrawn or erased
// application, appends `UrlDownloadRefused {reason}` and answers 410 with a plain Japanese and
// English explanation. An unknown or malformed token answers 404 and writes nothing (an
// unauthenticated caller must not be able to grow the log at will). Thread-safe.
#pragma once

#include <functional>
#include <string>

#include "engine/workflow/workflow_config.h"
#include "events/event_store.h"

namespace kakitome::download {

struct DownloadRequest {
    std::string token;
    std::string request_id;
    std::string remote;  // client address as the server saw it
    std::string user_agent;
};

struct DownloadResponse {
    int status = 404;
    std::string location;  // for 302
    std::string body;      // text/plain; charset=utf-8
    std::string application;
};

class DownloadService {
  public:
    DownloadService(EventStore& store, const workflow::WorkflowConfig& config,
                    std::function<std::int64_t()> clock_ms);
    Result<DownloadResponse> handle(const DownloadRequest& request);

  private:
    EventStore& store_;
    const workflow::WorkflowConfig& config_;
    std::function<std::int64_t()> clock_ms_;
};

}  // namespace kakitome::download
