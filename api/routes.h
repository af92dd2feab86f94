// The REST API's routes: method, path pattern ("/v1/applications/{id}"), and which roles may
// call it. One table, used by the dispatcher, by the OpenAPI check (every route is documented
// in docs/openapi.yaml) and by the auth-matrix test (every route × every role).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/auth/principals.h"

namespace kakitome::api {

enum class RouteId {
    healthz,
    metrics,
    post_mail,
    queue,
    application,
    command,
    application_events,
    events,
    download,
    create_token,
    ledger_checkpoint,
    inclusion_proof,
    consistency_proof,
    incident_who_saw,
    incident_saw_what,
    incident_review,
    incident_report,
    incident_step,
};

struct Route {
    RouteId id;
    std::string method;
    std::string pattern;
    bool public_route;              // no token needed (/healthz, /d/{token})
    std::vector<auth::Role> roles;  // who may call it when not public
    // The query parameters it takes; any other is a 400 (a typo must not silently mean "all").
    std::vector<std::string> query_parameters = {};
};

const std::vector<Route>& routes();

struct RouteMatch {
    const Route* route = nullptr;
    std::map<std::string, std::string> parameters;  // {id} -> value
    bool path_known = false;                        // some route has this path (for 405)
    std::vector<std::string> allowed_methods;       // of the routes with this path (Allow)
};

RouteMatch match_route(const std::string& method, const std::string& path);
bool role_allowed(const Route& route, auth::Role role);

}  // namespace kakitome::api
