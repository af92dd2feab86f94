// How the REST service answers: JSON bodies, RFC 9457 problems (and which HTTP status a
// Status becomes), ETags of stream versions, events as JSON, request ids. Shared by the
// service and its handlers (api/handlers/); not for use outside api/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/http/http_types.h"
#include "events/base/status.h"
#include "events/domain_types.h"
#include "events/event.h"

namespace kakitome::api {

using http::HttpRequest;
using http::HttpResponse;
using nlohmann::json;

// The contact fields an application read discloses.
extern const std::vector<std::string> kContactFields;

std::string dump(const json& value);

bool strings_equal_ignoring_case(const std::string& a, const std::string& b);

bool sane_request_id(const std::string& id);

std::string fresh_request_id();

HttpResponse json_response(int status, const json& body);

// The headers every answer of this origin carries, whoever makes it (the API's finish(), and
// the HTTP server's own refusals through HttpServerOptions::every_response_headers): the
// console's Content-Security-Policy, no framing, no referrer.
const std::vector<std::pair<std::string, std::string>>& security_headers();

HttpResponse problem(int status, const std::string& type, const std::string& title,
                     const std::string& detail = {});

std::string etag(StreamVersion version);

json event_json(const RecordedEvent& event);

int status_for(const Status& status);

HttpResponse problem_for(const Status& status);

// The answer when the PiiDisclosed of a read could not be made durable: 503, and no PII.
HttpResponse disclosure_not_recorded(const Status& why);

}  // namespace kakitome::api
