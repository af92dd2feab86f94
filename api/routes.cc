#include "api/routes.h"

#include <algorithm>
#include <optional>
#include <string_view>

namespace kakitome::api {

using auth::Role;

const std::vector<Route>& routes() {
    static const std::vector<Route> table = {
        {RouteId::healthz, "GET", "/healthz", true, {}},
        // For load balancers and monitoring: whether this process can do its work now.
        {RouteId::readyz, "GET", "/readyz", true, {}},
        // The console's page and files are public (they hold no data); every datum it shows
        // comes from the routes below, called with the user's token.
        {RouteId::console_root, "GET", "/", true, {}},
        {RouteId::console_page, "GET", "/console/", true, {}},
        {RouteId::console_file, "GET", "/console/{file}", true, {}},
        {RouteId::me,
         "GET",
         "/v1/me",
         false,
         {Role::operator_role, Role::supervisor, Role::auditor, Role::responder, Role::admin}},
        {RouteId::metrics,
         "GET",
         "/metrics",
         false,
         {Role::admin, Role::auditor, Role::supervisor}},
        {RouteId::post_mail,
         "POST",
         "/v1/mail",
         false,
         {Role::operator_role, Role::supervisor},
         {},
         /*appends=*/true,
         /*large_body=*/true},
        // No personal data in its rows: responders pick an incident's scope from it too.
        {RouteId::queue,
         "GET",
         "/v1/queue",
         false,
         {Role::operator_role, Role::supervisor, Role::auditor, Role::responder},
         {"limit", "after"}},
        // Time travel: the queue rebuilt from the events up to a moment (auditors).
        {RouteId::queue_as_of,
         "GET",
         "/v1/queue/as-of",
         false,
         {Role::auditor, Role::supervisor},
         {"at"},
         /*appends=*/false,
         /*large_body=*/false,
         /*long_running=*/true},
        // Organisation names of queue rows, or the rows whose organisation contains a text: PII,
        // so each answer is recorded as a disclosure first (hence a blocking thread).
        {RouteId::queue_organizations,
         "GET",
         "/v1/queue/organizations",
         false,
         {Role::operator_role, Role::supervisor},
         {"applications", "search"},
         /*appends=*/true},
        // Mails that went nowhere (refused, unrelated), with their reasons: no personal data.
        {RouteId::inbox,
         "GET",
         "/v1/inbox",
         false,
         {Role::operator_role, Role::supervisor},
         {"kind", "limit", "after"}},
        {RouteId::application,
         "GET",
         "/v1/applications/{id}",
         false,
         {Role::operator_role, Role::supervisor, Role::auditor},
         {},
         // On a blocking thread because opening the contact may reach the replicated key
         // bucket over the network; its disclosure is appended asynchronously, so that thread
         // is free again at once and the answer waits for the fsync without it.
         /*appends=*/true},
        {RouteId::command,
         "POST",
         "/v1/applications/{id}/commands/{name}",
         false,
         {Role::operator_role, Role::supervisor},
         {},
         /*appends=*/true},
        {RouteId::application_events,
         "GET",
         "/v1/applications/{id}/events",
         false,
         {Role::operator_role, Role::supervisor, Role::auditor, Role::responder},
         {"from", "limit"}},
        {RouteId::events,
         "GET",
         "/v1/events",
         false,
         {Role::supervisor, Role::auditor},
         {"from", "limit"}},
        {RouteId::download, "GET", "/d/{token}", true, {}, {}, /*appends=*/true},
        {RouteId::create_token, "POST", "/v1/tokens", false, {Role::admin}, {}, /*appends=*/true},
        // Principals and their tokens' lives (never a secret), revocation and rotation.
        {RouteId::list_tokens, "GET", "/v1/tokens", false, {Role::admin}},
        {RouteId::revoke_token,
         "POST",
         "/v1/tokens/{name}/revoke",
         false,
         {Role::admin},
         {},
         /*appends=*/true},
        {RouteId::rotate_token,
         "POST",
         "/v1/tokens/{name}/rotate",
         false,
         {Role::admin},
         {},
         /*appends=*/true},
        // Backups in the configured directory (what each holds), and a backup now: it copies
        // the changed files of the whole store, so it runs on a blocking thread.
        {RouteId::backups, "GET", "/v1/backups", false, {Role::admin, Role::auditor}},
        {RouteId::create_backup,
         "POST",
         "/v1/backups",
         false,
         {Role::admin},
         {},
         /*appends=*/false,
         /*large_body=*/false,
         /*long_running=*/true},
        // What the retention policy would erase now and why (a dry run), and a sweep now: it
        // reads every application and compacts the blobs, so it runs on a blocking thread.
        {RouteId::retention,
         "GET",
         "/v1/retention",
         false,
         {Role::admin, Role::supervisor, Role::auditor},
         {},
         /*appends=*/false,
         /*large_body=*/false,
         /*long_running=*/true},
        {RouteId::run_retention,
         "POST",
         "/v1/retention/run",
         false,
         {Role::admin},
         {},
         /*appends=*/true,
         /*large_body=*/false,
         /*long_running=*/true},
        {RouteId::ledger_checkpoint,
         "GET",
         "/v1/ledger/checkpoint",
         false,
         {Role::auditor, Role::supervisor, Role::responder}},
        // Every checkpoint signed so far, newest first: the log's history, which an auditor
        // proves append-only with consistency proofs between them.
        {RouteId::ledger_checkpoints,
         "GET",
         "/v1/ledger/checkpoints",
         false,
         {Role::auditor, Role::supervisor, Role::responder},
         {"limit", "before"},
         /*appends=*/false,
         /*large_body=*/false,
         /*long_running=*/true},  // reads every stored note
        {RouteId::inclusion_proof,
         "GET",
         "/v1/ledger/proof/inclusion",
         false,
         {Role::auditor, Role::supervisor, Role::responder},
         {"seq", "size"}},
        {RouteId::consistency_proof,
         "GET",
         "/v1/ledger/proof/consistency",
         false,
         {Role::auditor, Role::supervisor, Role::responder},
         {"from", "to"}},
        {RouteId::incident_who_saw, "GET", "/v1/incidents/who-saw/{id}", false, {Role::responder}},
        {RouteId::incident_saw_what,
         "GET",
         "/v1/incidents/saw-what/{principal}",
         false,
         {Role::responder}},
        {RouteId::incident_review,
         "GET",
         "/v1/incidents/review",
         false,
         {Role::responder},
         {"from", "to", "incident"}},
        {RouteId::incident_list, "GET", "/v1/incidents", false, {Role::responder}},
        {RouteId::incident_report,
         "POST",
         "/v1/incidents",
         false,
         {Role::responder},
         {},
         /*appends=*/true},
        // A responder opens the contact (organisation and address only) of an application in
        // the incident's scope, to notify its applicant; recorded like any other disclosure.
        {RouteId::incident_contact,
         "GET",
         "/v1/incidents/{incident}/contacts/{id}",
         false,
         {Role::responder},
         {},
         /*appends=*/true},
        {RouteId::incident_step,
         "POST",
         "/v1/incidents/{incident}/steps/{step}",
         false,
         {Role::responder},
         {},
         /*appends=*/true},
        // Another system's registration export or access log, as the body (gzip accepted).
        {RouteId::incident_import,
         "POST",
         "/v1/incidents/{incident}/imports/{kind}",
         false,
         {Role::responder},
         {"format", "name"},
         /*appends=*/true,
         /*large_body=*/true},
        // The signed, verifiable bundle of the incident's evidence (replay/evidence_bundle.h).
        {RouteId::incident_evidence,
         "GET",
         "/v1/incidents/{incident}/evidence",
         false,
         {Role::responder, Role::auditor},
         {},
         /*appends=*/false,
         /*large_body=*/false,
         /*long_running=*/true},
    };
    return table;
}

namespace {

// The next non-empty segment of `rest`, consumed from it; nullopt at its end. Empty segments
// ("a//b") are skipped. Views, not copies: every request is matched against every route.
std::optional<std::string_view> next_segment(std::string_view& rest) {
    while (!rest.empty()) {
        const auto slash = rest.find('/');
        const std::string_view part = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        if (!part.empty()) return part;
    }
    return std::nullopt;
}

bool matches(std::string_view pattern, std::string_view path,
             std::map<std::string, std::string>& parameters) {
    // A trailing slash matters: only a pattern that ends in one ("/console/") takes one.
    const auto ends_in_slash = [](std::string_view text) {
        return text.size() > 1 && text.back() == '/';
    };
    if (ends_in_slash(path) != ends_in_slash(pattern)) return false;
    std::map<std::string, std::string> found;
    for (;;) {
        const auto want = next_segment(pattern), have = next_segment(path);
        if (!want || !have) {
            if (want || have) return false;  // not the same number of segments
            break;
        }
        if (want->front() == '{') {
            found[std::string(want->substr(1, want->size() - 2))] = std::string(*have);
        } else if (*want != *have) {
            return false;
        }
    }
    parameters = std::move(found);
    return true;
}

}  // namespace

RouteMatch match_route(const std::string& method, const std::string& path) {
    RouteMatch match;
    for (const auto& route : routes()) {
        std::map<std::string, std::string> parameters;
        if (!matches(route.pattern, path, parameters)) continue;
        match.path_known = true;
        match.allowed_methods.push_back(route.method);
        if (route.method == method) {
            match.route = &route;
            match.parameters = std::move(parameters);
            return match;
        }
    }
    return match;
}

bool role_allowed(const Route& route, Role role) {
    return route.public_route ||
           std::find(route.roles.begin(), route.roles.end(), role) != route.roles.end();
}

bool route_blocks(const std::string& method, const std::string& target) {
    const RouteMatch match = match_route(method, target.substr(0, target.find('?')));
    return match.route && (match.route->appends || match.route->long_running);
}

bool route_reads_projections(RouteId id) {
    switch (id) {
        case RouteId::queue:
        case RouteId::inbox:
        case RouteId::incident_who_saw:
        case RouteId::incident_saw_what:
        case RouteId::incident_review:
        case RouteId::incident_report:
        case RouteId::incident_list:
        case RouteId::incident_step:
        case RouteId::incident_contact:
            return true;
        default:
            return false;
    }
}

std::vector<std::string> large_body_paths() {
    std::vector<std::string> paths;
    for (const auto& route : routes())
        if (route.large_body) paths.push_back(route.pattern);
    return paths;
}

}  // namespace kakitome::api
