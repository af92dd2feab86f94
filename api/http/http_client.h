// HttpClient: one blocking HTTP request with libcurl, for kakitome's own calls to other services
// (a witness's add-checkpoint, a running server's REST API from the command line).
//
// The answer is whatever the peer said, any status; `error` is set only when there was no
// answer (refused, timed out, TLS failed, reply too large). https is verified against the
// system's authorities, or against `authority_file` when given. Thread-safe (no shared state).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace kakitome::http {

struct ClientRequest {
    std::string method = "GET";
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    std::string body;
    std::string authority_file;  // PEM; empty: the system's authorities
    long timeout_seconds = 10;
    long max_reply_bytes = 1 << 20;
};

struct ClientReply {
    long status = 0;
    std::string content_type;
    std::string body;
    std::string error;  // no answer: why
};

ClientReply send_request(const ClientRequest& request);

}  // namespace kakitome::http
