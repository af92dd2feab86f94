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
    readyz,
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
    ledger_checkpoints,
    inclusion_proof,
    consistency_proof,
    incident_who_saw,
    incident_saw_what,
    incident_review,
    incident_report,
    incident_list,
    incident_step,
    incident_contact,
    incident_import,
    incident_evidence,
    me,
    queue_as_of,
    inbox,
    queue_organizations,
    console_root,
    console_page,
    console_file,
    backups,
    create_backup,
    retention,
    run_retention,
    list_tokens,
    revoke_token,
    rotate_token,
};

struct Route {
    RouteId id;
    std::string method;
    std::string pattern;
    bool public_route;              // no token needed (/healthz, /readyz, /d/{token})
    std::vector<auth::Role> roles;  // who may call it when not public
    // The query parameters it takes; any other is a 400 (a typo must not silently mean "all").
    std::vector<std::string> query_parameters = {};
    // It appends durably (a command, mail, a download, a PII read's disclosure) or may wait on
    // the network: the server runs it on a blocking thread, never on an I/O thread. (A PII read
    // returns its disclosure with its answer and ApiService::handle appends it asynchronously,
    // so its thread is free again before the fsync.)
    bool appends = false;
    // It takes a whole mail as its body (up to the intake limit, not the 1 MiB of the others).
    bool large_body = false;
    // It may take seconds (a rebuild from seq 1): it runs on a blocking thread too, so it never
    // holds up the I/O threads every other request needs.
    bool long_running = false;
};

const std::vector<Route>& routes();

struct RouteMatch {
    const Route* route = nullptr;
    std::map<std::string, std::string> parameters;  // {id} -> value
    bool path_known = false;                        // some route has this path (for 405)
    std::vector<std::string> allowed_methods;       // of the routes with this path (Allow)
};

RouteMatch match_route(const std::string& method, const std::string& path);
// Whether a request target (path and query) runs on a blocking thread: its route appends or is
// long-running; false when no route matches.
bool route_blocks(const std::string& method, const std::string& target);
// Whether a route answers from the read models (the queue, the inbox, the incident list and the
// disclosure index): refused with 503 catching_up while they fold what the log held at start.
bool route_reads_projections(RouteId id);
// The path patterns of the large_body routes ("/v1/incidents/{incident}/imports/{kind}").
std::vector<std::string> large_body_paths();
bool role_allowed(const Route& route, auth::Role role);

}  // namespace kakitome::api
