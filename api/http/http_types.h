// Plain HTTP request/response values passed between the Beast server and the API's handlers,
// so that the handlers (and their tests) never include Asio or Beast headers.
// Header names are stored lower-case.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kakitome::http {

// Every error answer is RFC 9457 problem+json whose `type` is this base plus a stable name.
inline constexpr const char* kProblemBase = "https://kakitome.example/problems/";

struct HttpRequest {
    std::string method;                          // "GET"
    std::string target;                          // "/v1/queue?limit=10" as received
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    std::string remote;  // peer address
    bool tls = false;

    std::string header(const std::string& lower_case_name) const {
        auto found = headers.find(lower_case_name);
        return found == headers.end() ? std::string() : found->second;
    }
};

struct HttpResponse {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    void set_header(const std::string& name, const std::string& value) {
        for (auto& [existing, old] : headers) {
            if (existing == name) {
                old = value;
                return;
            }
        }
        headers.emplace_back(name, value);
    }
};

}  // namespace kakitome::http
