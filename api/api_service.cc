#include "api/api_service.h"

#include <atomic>
#include <charconv>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <variant>

#include "api/console/console_assets.h"
#include "api/routes.h"
#include "api/service_impl.h"
#include "engine/domain/access_events.h"
#include "engine/domain/application_state.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/download/download_service.h"
#include "engine/incident/incident_commands.h"
#include "engine/workflow/applicant_contact.h"
#include "engine/workflow/workflow_commands.h"
#include "events/base/aead.h"
#include "events/base/base64.h"
#include "events/base/operator_log.h"
#include "events/base/sha256.h"
#include "events/base/timestamp.h"
#include "projections/incident_review.h"

namespace kakitome::api {

ApiDependencies dependencies_of(Services& services) {
    return {services.store(),       services.vault(),           services.intake(),
            services.commands(),    services.workflow_config(), services.principals(),
            services.worker(),      services.read_models(),     services.ledger(),
            services.disclosures(), services.backups(),         services.witnessing(),
            services.retention(),   services.clock(),           services.ledger_key_file(),
            services.replication()};
}

ApiService::ApiService(ApiDependencies dependencies)
    : impl_(std::make_unique<Impl>(std::move(dependencies))) {}

ApiService::~ApiService() = default;

Status ApiService::warm_up() {
    return impl_->organizations.catch_up();
}

ApiService::Impl::Context ApiService::Impl::context_of(const HttpRequest& request) const {
    const std::string path = request.target.substr(0, request.target.find('?'));
    const RouteMatch match = match_route(request.method, path);
    return Context{request,
                   match,
                   path,
                   sane_request_id(request.header("x-request-id")) ? request.header("x-request-id")
                                                                   : fresh_request_id(),
                   std::nullopt,
                   query_of(request.target)};
}

// The headers that make every response private and uncacheable, whatever produced it.
void ApiService::Impl::finish(HttpResponse& response, const Context& context) {
    response.set_header("Cache-Control", "no-store");
    response.set_header("Pragma", "no-cache");
    response.set_header("Vary", "Authorization");
    response.set_header("X-Request-Id", context.request_id);
    response.set_header("X-Content-Type-Options", "nosniff");
    // One policy for every answer: the console's own files only (docs/console.md).
    for (const auto& [name, value] : security_headers()) response.set_header(name, value);
    responses_by_class[std::min(5, response.status / 100)].fetch_add(1, std::memory_order_relaxed);
    log_request(response, context);
}

// One line per request for the operator. The route is the pattern, never the path: a path holds
// a download link's secret token (/d/{token}); the principal is its name, never the token.
void ApiService::Impl::log_request(const HttpResponse& response, const Context& context) const {
    const auto level = response.status >= 500 ? logging::Level::error : logging::Level::info;
    if (!logging::enabled(level)) return;
    const auto elapsed = std::chrono::steady_clock::now() - context.started;
    logging::write(
        level, "request",
        {{"request_id", context.request_id},
         {"principal", context.principal ? json(context.principal->name) : json(nullptr)},
         {"method", context.request.method},
         {"route", context.match.route ? context.match.route->pattern : "(no route)"},
         {"status", response.status},
         {"latency_ms", std::chrono::duration<double, std::milli>(elapsed).count()}});
}

ApiService::Impl::Answer ApiService::Impl::answer(Context& context) {
    try {
        return dispatch(context);
    } catch (const std::exception& error) {
        return problem(500, "internal", "internal error");
    }
}

void ApiService::handle(const HttpRequest& request, std::function<void(HttpResponse)> reply) {
    auto context = std::make_shared<Impl::Context>(impl_->context_of(request));
    auto answer = impl_->answer(*context);
    if (!answer.disclosure) {
        impl_->finish(answer.response, *context);
        return reply(std::move(answer.response));
    }
    std::vector<StreamAppend> parts;
    parts.push_back(impl_->disclosure_append(*context, *answer.disclosure));
    // Owed from here until the completion has replied, whatever throws on the way: the
    // destructor waits for every reply owed. (Counted first: a guard that cannot be made
    // counts itself down.)
    {
        std::lock_guard lock(impl_->owed_mutex);
        ++impl_->replies_owed;
    }
    auto owed = std::shared_ptr<Impl>(impl_.get(), [](Impl* impl) {
        std::lock_guard lock(impl->owed_mutex);
        --impl->replies_owed;
        impl->owed_changed.notify_all();
    });
    impl_->d.store.append_transaction_async(
        std::move(parts),
        [owed = std::move(owed), context, response = std::move(answer.response),
         reply = std::move(reply)](Result<std::vector<AppendResult>> logged) mutable {
            if (logged.is_ok())
                owed->disclosures.fetch_add(1, std::memory_order_relaxed);
            else
                response = disclosure_not_recorded(logged.status());
            owed->finish(response, *context);
            reply(std::move(response));
        });
}

std::optional<HttpResponse> ApiService::admit(const HttpRequest& headers) {
    auto context = impl_->context_of(headers);
    std::optional<HttpResponse> refused;
    try {
        refused = impl_->gate(context);
    } catch (const std::exception& error) {
        refused = problem(500, "internal", "internal error");
    }
    if (refused) impl_->finish(*refused, context);
    return refused;
}

constexpr std::size_t kMaxIdentifierLength = 128;

std::optional<HttpResponse> ApiService::Impl::gate(Context& context) {
    if (!context.match.route) {
        if (context.match.path_known) {
            std::string allow;
            for (const auto& method : context.match.allowed_methods)
                allow += (allow.empty() ? "" : ", ") + method;
            auto response = problem(405, "method_not_allowed", "method not allowed",
                                    "this resource answers " + allow);
            response.set_header("Allow", allow);
            return response;
        }
        return problem(404, "not_found", "no such resource");
    }
    const Route& route = *context.match.route;
    // No identifier here is longer than 128 characters (application ids are 20): a longer one
    // names nothing, and must not reach the store (whose limits are not the client's business).
    for (const auto& [name, value] : context.match.parameters) {
        if (value.size() > kMaxIdentifierLength)
            return problem(
                404, "not_found", "no such resource",
                name + " is longer than " + std::to_string(kMaxIdentifierLength) + " characters");
    }
    if (!route.public_route) {
        // The scheme name is case-insensitive (RFC 9110 section 11.1); one or more spaces follow.
        const std::string authorization = context.request.header("authorization");
        auth::TokenRefusal refusal = auth::TokenRefusal::unknown;
        if (authorization.size() > 7 &&
            strings_equal_ignoring_case(authorization.substr(0, 7), "bearer ")) {
            const auto token_at = authorization.find_first_not_of(' ', 7);
            if (token_at != std::string::npos) {
                auto authenticated = d.principals.authenticate(authorization.substr(token_at));
                context.principal = std::move(authenticated.principal);
                refusal = authenticated.refusal;
            }
        }
        if (!context.principal) {
            // Which problem: an expired or revoked token says so, so its holder knows to ask
            // for a new one rather than check what they typed.
            auto response =
                refusal == auth::TokenRefusal::expired
                    ? problem(401, "token_expired",
                              "this token has expired; ask an admin for a new one")
                : refusal == auth::TokenRefusal::revoked
                    ? problem(401, "token_revoked", "this token was revoked or replaced")
                    : problem(401, "unauthenticated", "a valid bearer token is required");
            response.set_header("WWW-Authenticate", "Bearer realm=\"kakitome\"");
            return response;
        }
        if (!role_allowed(route, context.principal->role)) {
            return problem(403, "forbidden", "this role may not use this endpoint",
                           std::string("role ") + auth::role_name(context.principal->role));
        }
    }
    for (const auto& [name, value] : context.query) {
        if (std::find(route.query_parameters.begin(), route.query_parameters.end(), name) ==
            route.query_parameters.end()) {
            std::string known;
            for (const auto& allowed : route.query_parameters)
                known += (known.empty() ? "" : ", ") + allowed;
            return problem(400, "unknown_query_parameter",
                           "unknown query parameter '" + name.substr(0, 64) + "'",
                           known.empty() ? "this resource takes no query parameters"
                                         : "this resource takes " + known);
        }
    }
    if (route_reads_projections(route.id)) {
        if (auto behind = read_models_behind()) {
            auto response = problem(503, "catching_up",
                                    "the read models are still being folded from the log; try "
                                    "again shortly",
                                    *behind);
            response.set_header("Retry-After", "5");
            return response;
        }
    }
    return std::nullopt;
}

ApiService::Impl::Answer ApiService::Impl::dispatch(Context& context) {
    if (auto refused = gate(context)) return std::move(*refused);
    const Route& route = *context.match.route;
    switch (route.id) {
        case RouteId::healthz:
            return json_response(200, {{"status", "ok"}, {"head", d.store.head().value}});
        case RouteId::readyz:
            return readiness();
        case RouteId::metrics:
            return metrics();
        case RouteId::post_mail:
            return post_mail(context);
        case RouteId::queue:
            return queue(context);
        case RouteId::application:
            return application(context);
        case RouteId::command:
            return command(context);
        case RouteId::application_events:
            return application_events(context);
        case RouteId::events:
            return events(context);
        case RouteId::download:
            return download(context);
        case RouteId::create_token:
            return create_token(context);
        case RouteId::list_tokens:
            return list_tokens();
        case RouteId::revoke_token:
            return revoke_token(context);
        case RouteId::rotate_token:
            return rotate_token(context);
        case RouteId::backups:
            return backups();
        case RouteId::create_backup:
            return create_backup();
        case RouteId::retention:
            return retention_review();
        case RouteId::run_retention:
            return run_retention();
        case RouteId::ledger_checkpoint:
            return ledger_checkpoint();
        case RouteId::ledger_checkpoints:
            return ledger_checkpoints(context);
        case RouteId::inclusion_proof:
            return inclusion_proof(context);
        case RouteId::consistency_proof:
            return consistency_proof(context);
        case RouteId::incident_who_saw:
        case RouteId::incident_saw_what:
        case RouteId::incident_review:
        case RouteId::incident_report:
        case RouteId::incident_list:
        case RouteId::incident_step:
        case RouteId::incident_contact:
            return incident(context, route.id);
        case RouteId::incident_import:
        case RouteId::incident_evidence:
            return incident_evidence(context, route.id);
        case RouteId::me:
            return me(context);
        case RouteId::queue_as_of:
            return queue_as_of(context);
        case RouteId::inbox:
            return inbox(context);
        case RouteId::queue_organizations:
            return organizations_of(context);
        case RouteId::console_root: {
            HttpResponse response;
            response.status = 302;
            response.set_header("Location", "/console/");
            return response;
        }
        case RouteId::console_page:
            return console_file("index.html");
        case RouteId::console_file:
            return console_file(context.match.parameters.at("file"));
    }
    return problem(404, "not_found", "no such resource");
}

std::optional<std::string> ApiService::Impl::read_models_behind() const {
    const Seq folded = d.read_models.folded_through();
    if (folded >= head_at_start) return std::nullopt;
    const auto progress = d.read_models.fold_progress();
    const std::string of_all = " of " + std::to_string(head_at_start.value) + " events";
    if (progress.read_model == 0) return std::to_string(folded.value) + of_all + " folded";
    return "folding read model " + std::to_string(progress.read_model) + " of " +
           std::to_string(progress.read_models) + ", at event " +
           std::to_string(progress.position.value) + of_all;
}

StreamAppend ApiService::Impl::disclosure_append(const Context& context,
                                                 const Disclosure& disclosure) const {
    const auto& principal = *context.principal;
    const domain::PiiDisclosed disclosed{
        principal.name,
        std::string(auth::role_name(principal.role)),
        context.request_id,
        context.request.method + " " + std::string(context.match.route->pattern),
        context.path,
        context.request.remote,
        disclosure.applications,
        disclosure.fields};
    return {domain::disclosure_stream(principal.name),
            ExpectedVersion::any(),
            {domain::new_event(disclosed,
                               {.actor = principal.name, .correlation = context.request_id})}};
}

Status ApiService::Impl::disclose(const Context& context,
                                  const std::vector<std::string>& applications,
                                  const std::vector<std::string>& fields) {
    std::vector<StreamAppend> parts;
    parts.push_back(disclosure_append(context, {applications, fields}));
    auto appended = d.store.append_transaction(std::move(parts));
    if (appended.is_ok()) disclosures.fetch_add(1, std::memory_order_relaxed);
    return appended.status();
}

}  // namespace kakitome::api
