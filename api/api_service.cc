#include "api/api_service.h"

#include <atomic>
#include <charconv>
#include <cstdio>
#include <mutex>
#include <sstream>
#include <variant>

#include <nlohmann/json.hpp>

#include "api/routes.h"
#include "engine/domain/access_events.h"
#include "engine/domain/application_state.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/download/download_service.h"
#include "engine/incident/incident_commands.h"
#include "engine/workflow/applicant_contact.h"
#include "engine/workflow/workflow_commands.h"
#include "events/aead.h"
#include "events/base64.h"
#include "events/sha256.h"
#include "events/timestamp.h"
#include "projections/incident_review.h"

namespace kakitome::api {

using http::HttpRequest;
using http::HttpResponse;
using nlohmann::json;

namespace {

const std::vector<std::string> kContactFields = {"organization", "contact_email", "sender",
                                                 "sender_name", "filename"};

std::string dump(const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool strings_equal_ignoring_case(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

bool sane_request_id(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    for (unsigned char c : id) {
        if (!std::isalnum(c) && c != '-' && c != '_' && c != '.') return false;
    }
    return true;
}

std::string fresh_request_id() {
    return random_hex(12);
}

HttpResponse json_response(int status, const json& body) {
    HttpResponse response;
    response.status = status;
    response.body = dump(body);
    response.set_header("Content-Type", "application/json");
    return response;
}

HttpResponse problem(int status, const std::string& type, const std::string& title,
                     const std::string& detail = {}) {
    HttpResponse response;
    response.status = status;
    json body{{"type", http::kProblemBase + type}, {"title", title}, {"status", status}};
    if (!detail.empty()) body["detail"] = detail;
    response.body = dump(body);
    response.set_header("Content-Type", "application/problem+json");
    return response;
}

// Query parameters of a target ("a=1&b=2"), percent-decoding not needed for the numbers and
// ids the API takes; anything else is rejected by the handlers' own checks.
// %XX escapes decoded; '+' stays '+' (RFC 3986 queries, not HTML forms), so
// "2026-11-24T00:00:00+09:00" works both escaped and raw. A malformed escape is kept as is.
std::string percent_decoded(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() &&
            std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
            out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

std::map<std::string, std::string> query_of(const std::string& target) {
    std::map<std::string, std::string> query;
    const auto question = target.find('?');
    if (question == std::string::npos) return query;
    std::stringstream in(target.substr(question + 1));
    for (std::string pair; std::getline(in, pair, '&');) {
        const auto equals = pair.find('=');
        query[percent_decoded(pair.substr(0, equals))] =
            equals == std::string::npos ? "" : percent_decoded(pair.substr(equals + 1));
    }
    return query;
}

std::optional<std::uint64_t> number(const std::string& text) {
    std::uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty())
        return std::nullopt;
    return value;
}

// ETag / If-Match form of a stream version: "v12" (quoted). Accepts W/ and bare numbers too.
std::optional<std::uint64_t> version_of_if_match(std::string text) {
    if (text.rfind("W/", 0) == 0) text = text.substr(2);
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
        text = text.substr(1, text.size() - 2);
    if (!text.empty() && text.front() == 'v') text = text.substr(1);
    return number(text);
}

std::string etag(StreamVersion version) {
    return "\"v" + std::to_string(version.value) + "\"";
}

json event_json(const RecordedEvent& event) {
    json payload = json::parse(event.payload_json, nullptr, false);
    return {{"seq", event.seq.value},         {"stream", event.stream},
            {"version", event.version.value}, {"type", event.type},
            {"schema", event.schema},         {"at", event.at},
            {"actor", event.actor},           {"correlation", event.correlation},
            {"causation", event.causation},   {"payload", payload},
            {"hash", to_hex(event.hash)},     {"prev_hash", to_hex(event.prev_hash)}};
}

int status_for(const Status& status) {
    switch (status.code()) {
        case StatusCode::invalid_argument:
            return status.reason() == "idempotency_key_reused" ? 422 : 400;
        case StatusCode::not_found:
            return 404;
        case StatusCode::conflict:
            return 412;
        case StatusCode::failed_precondition:
            return 409;
        case StatusCode::permission_denied:
            return 403;
        case StatusCode::resource_exhausted:
            return 413;
        case StatusCode::unavailable:
            return 503;
        default:
            return 500;
    }
}

HttpResponse problem_for(const Status& status) {
    const std::string type =
        !status.reason().empty() ? status.reason() : status_code_name(status.code());
    // Out of disk: RFC 4918's 507, so a client retries later rather than shrinking its request.
    const int code = status.reason() == "storage_full" ? 507 : status_for(status);
    return problem(code, type, status_code_name(status.code()), status.message());
}

}  // namespace

ApiDependencies dependencies_of(Services& services) {
    return {services.store(),
            services.vault(),
            services.intake(),
            services.commands(),
            services.workflow_config(),
            services.principals(),
            services.worker(),
            services.read_models(),
            services.ledger(),
            services.disclosures(),
            services.clock()};
}

struct ApiService::Impl {
    ApiDependencies d;
    workflow::WorkflowCommands& commands;
    download::DownloadService downloads;
    std::atomic<std::uint64_t> responses_by_class[6] = {};
    std::atomic<std::uint64_t> disclosures{0};
    // Serialized queue pages for the current snapshot: the queue changes per worker pass, and
    // is read far more often than that.
    std::mutex page_mutex;
    std::shared_ptr<const std::vector<QueueEntry>> paged_snapshot;
    std::map<std::string, std::string> pages;

    explicit Impl(ApiDependencies dependencies)
        : d(std::move(dependencies)),
          commands(d.commands),
          downloads(d.store, d.config, d.clock_ms) {}

    struct Context {
        const HttpRequest& request;
        RouteMatch match;  // by value: a context outlives the call that matched it
        std::string path;
        std::string request_id;
        std::optional<auth::Principal> principal;
        std::map<std::string, std::string> query;
    };

    HttpResponse dispatch(Context& context);
    // Route, authentication, role and query parameters: what can be decided on the headers.
    std::optional<HttpResponse> gate(Context& context);
    Context context_of(const HttpRequest& request) const;
    void finish(HttpResponse& response, const Context& context);
    HttpResponse metrics();
    HttpResponse post_mail(Context& context);
    HttpResponse queue(Context& context);
    HttpResponse application(Context& context);
    HttpResponse command(Context& context);
    HttpResponse application_events(Context& context);
    HttpResponse events(Context& context);
    HttpResponse download(Context& context);
    HttpResponse create_token(Context& context);
    HttpResponse ledger_checkpoint();
    HttpResponse inclusion_proof(Context& context);
    HttpResponse consistency_proof(Context& context);
    HttpResponse incident(Context& context, RouteId id);
    Status disclose(const Context& context, const std::vector<std::string>& applications,
                    const std::vector<std::string>& fields);
};

ApiService::ApiService(ApiDependencies dependencies)
    : impl_(std::make_unique<Impl>(std::move(dependencies))) {}
ApiService::~ApiService() = default;

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
    responses_by_class[std::min(5, response.status / 100)].fetch_add(1, std::memory_order_relaxed);
}

HttpResponse ApiService::handle(const HttpRequest& request) {
    auto context = impl_->context_of(request);
    HttpResponse response;
    try {
        response = impl_->dispatch(context);
    } catch (const std::exception& error) {
        response = problem(500, "internal", "internal error");
    }
    impl_->finish(response, context);
    return response;
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
        if (authorization.size() > 7 &&
            strings_equal_ignoring_case(authorization.substr(0, 7), "bearer ")) {
            const auto token_at = authorization.find_first_not_of(' ', 7);
            if (token_at != std::string::npos)
                context.principal = d.principals.authenticate(authorization.substr(token_at));
        }
        if (!context.principal) {
            auto response = problem(401, "unauthenticated", "a valid bearer token is required");
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
    return std::nullopt;
}

HttpResponse ApiService::Impl::dispatch(Context& context) {
    if (auto refused = gate(context)) return std::move(*refused);
    const Route& route = *context.match.route;
    switch (route.id) {
        case RouteId::healthz:
            return json_response(200, {{"status", "ok"}, {"head", d.store.head().value}});
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
        case RouteId::ledger_checkpoint:
            return ledger_checkpoint();
        case RouteId::inclusion_proof:
            return inclusion_proof(context);
        case RouteId::consistency_proof:
            return consistency_proof(context);
        case RouteId::incident_who_saw:
        case RouteId::incident_saw_what:
        case RouteId::incident_review:
        case RouteId::incident_report:
        case RouteId::incident_step:
            return incident(context, route.id);
    }
    return problem(404, "not_found", "no such resource");
}

Status ApiService::Impl::disclose(const Context& context,
                                  const std::vector<std::string>& applications,
                                  const std::vector<std::string>& fields) {
    const auto& principal = *context.principal;
    const domain::PiiDisclosed disclosed{
        principal.name,
        std::string(auth::role_name(principal.role)),
        context.request_id,
        context.request.method + " " + std::string(context.match.route->pattern),
        context.path,
        context.request.remote,
        applications,
        fields};
    auto appended = d.store.append(
        domain::disclosure_stream(principal.name), ExpectedVersion::any(),
        {domain::new_event(disclosed,
                           {.actor = principal.name, .correlation = context.request_id})});
    if (appended.is_ok()) disclosures.fetch_add(1, std::memory_order_relaxed);
    return appended.status();
}

HttpResponse ApiService::Impl::metrics() {
    std::string out;
    auto line = [&](const std::string& text) { out += text + "\n"; };
    const auto& stats = d.store.statistics();
    line("# HELP kakitome_appends_total Successful appends (transactions) to the event store.");
    line("# TYPE kakitome_appends_total counter");
    line("kakitome_appends_total " + std::to_string(stats.appends.load()));
    line("# TYPE kakitome_append_events_total counter");
    line("kakitome_append_events_total " + std::to_string(stats.events.load()));
    line("# TYPE kakitome_append_failures_total counter");
    line("kakitome_append_failures_total " + std::to_string(stats.failures.load()));
    line("# HELP kakitome_append_latency_seconds Time from append call to durable commit.");
    line("# TYPE kakitome_append_latency_seconds histogram");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < AppendStatistics::kBucketSeconds.size(); ++i) {
        cumulative += stats.buckets[i].load();
        char bound[32];
        std::snprintf(bound, sizeof bound, "%g", AppendStatistics::kBucketSeconds[i]);
        line("kakitome_append_latency_seconds_bucket{le=\"" + std::string(bound) + "\"} " +
             std::to_string(cumulative));
    }
    cumulative += stats.buckets.back().load();
    line("kakitome_append_latency_seconds_bucket{le=\"+Inf\"} " + std::to_string(cumulative));
    char sum[48];
    std::snprintf(sum, sizeof sum, "%.9f", static_cast<double>(stats.latency_sum_ns.load()) / 1e9);
    line("kakitome_append_latency_seconds_sum " + std::string(sum));
    line("kakitome_append_latency_seconds_count " + std::to_string(cumulative));
    const auto snapshot = d.read_models.queue_snapshot();
    std::size_t open = 0, overdue = 0;
    for (const auto& entry : *snapshot) {
        if (!entry.closed) ++open;
        if (entry.overdue) ++overdue;
    }
    line("# TYPE kakitome_queue_applications gauge");
    line("kakitome_queue_applications{open=\"true\"} " + std::to_string(open));
    line("kakitome_queue_applications{open=\"false\"} " + std::to_string(snapshot->size() - open));
    line("# TYPE kakitome_sla_overdue gauge");
    line("kakitome_sla_overdue " + std::to_string(overdue));
    const auto totals = d.worker.totals();
    line("# TYPE kakitome_mails_sent_total counter");
    line("kakitome_mails_sent_total " + std::to_string(totals.mails_sent));
    line("# TYPE kakitome_mails_failed_total counter");
    line("kakitome_mails_failed_total " + std::to_string(totals.mails_failed));
    line("# TYPE kakitome_timers_fired_total counter");
    line("kakitome_timers_fired_total " + std::to_string(totals.timers_fired));
    line("# TYPE kakitome_pii_disclosures_total counter");
    line("kakitome_pii_disclosures_total " + std::to_string(disclosures.load()));
    line("# TYPE kakitome_http_responses_total counter");
    for (int i = 1; i <= 5; ++i) {
        line("kakitome_http_responses_total{class=\"" + std::to_string(i) + "xx\"} " +
             std::to_string(responses_by_class[i].load()));
    }
    HttpResponse response;
    response.body = out;
    response.set_header("Content-Type", "text/plain; version=0.0.4");
    return response;
}

HttpResponse ApiService::Impl::post_mail(Context& context) {
    const std::string type = context.request.header("content-type");
    if (type.rfind("message/rfc822", 0) != 0) {
        return problem(415, "unsupported_media_type", "send the mail as message/rfc822",
                       "got '" + type + "'");
    }
    auto outcome = d.intake.ingest(context.request.body, "api");
    if (!outcome.is_ok()) return problem_for(outcome.status());
    return json_response(outcome->classification == "duplicate" ? 200 : 201,
                         json::parse(outcome->to_json()));
}

HttpResponse ApiService::Impl::queue(Context& context) {
    const auto current = d.read_models.queue_snapshot();
    auto parameter = [&](const char* name) {
        auto found = context.query.find(name);
        return found == context.query.end() ? std::string("-") : found->second;
    };
    const std::string page_key = parameter("limit") + "|" + parameter("after");
    {
        std::lock_guard lock(page_mutex);
        if (paged_snapshot == current) {
            if (auto found = pages.find(page_key); found != pages.end()) {
                HttpResponse response;
                response.body = found->second;
                response.set_header("Content-Type", "application/json");
                return response;
            }
        }
    }
    std::uint64_t limit = 100;
    if (context.query.count("limit")) {
        auto parsed = number(context.query["limit"]);
        if (!parsed || *parsed == 0 || *parsed > 1000)
            return problem(400, "invalid_limit", "limit must be 1 to 1000");
        limit = *parsed;
    }
    const auto& snapshot = current;
    std::size_t start = 0;
    if (context.query.count("after")) {
        const std::string& after = context.query["after"];
        auto found = std::find_if(snapshot->begin(), snapshot->end(), [&](const QueueEntry& entry) {
            return entry.application == after;
        });
        if (found == snapshot->end())
            return problem(400, "invalid_cursor", "'after' is not an application in the queue");
        start = static_cast<std::size_t>(found - snapshot->begin()) + 1;
    }
    std::string items = "[";
    std::size_t index = start;
    for (; index < snapshot->size() && index - start < limit; ++index) {
        items += (items.size() > 1 ? "," : "") + queue_entry_to_json((*snapshot)[index]);
    }
    items += "]";
    const json next =
        index < snapshot->size() ? json((*snapshot)[index - 1].application) : json(nullptr);
    HttpResponse response;
    response.body = "{\"items\":" + items + ",\"next\":" + next.dump() +
                    ",\"total\":" + std::to_string(snapshot->size()) + "}";
    response.set_header("Content-Type", "application/json");
    std::lock_guard lock(page_mutex);
    if (paged_snapshot != snapshot) {
        paged_snapshot = snapshot;
        pages.clear();
    }
    if (pages.size() < 1024) pages[page_key] = response.body;
    return response;
}

HttpResponse ApiService::Impl::application(Context& context) {
    const std::string& id = context.match.parameters.at("id");
    auto record = workflow::load_application(d.store, id);
    if (!record.is_ok()) return problem_for(record.status());
    const auto& principal = *context.principal;
    const bool sees_pii = principal.role != auth::Role::auditor || principal.pii_access;
    json contact = json::object();
    bool disclosed = false;
    if (record->erased) {
        for (const auto& field : kContactFields) contact[field] = "[erased]";
    } else if (!sees_pii) {
        for (const auto& field : kContactFields) contact[field] = "***";
    } else {
        auto opened = workflow::open_applicant_contact(id, record->sender_sealed,
                                                       record->form_sealed, d.vault);
        if (!opened.is_ok()) return problem_for(opened.status());
        contact = {{"organization", opened->organization},
                   {"contact_email", opened->contact_email},
                   {"sender", opened->sender},
                   {"sender_name", opened->sender_name},
                   {"filename", opened->filename}};
        disclosed = true;
    }
    json urls = json::array();
    for (const auto& url : record->urls) {
        urls.push_back({{"issued_at", format_rfc3339_ms(url.issued_at_ms)},
                        {"expires_at", format_rfc3339_ms(url.expires_at_ms)},
                        {"revoked", url.revoked},
                        {"expired", url.expired},
                        {"downloads", url.downloads}});
    }
    std::string sla_due;
    if (record->paired_at_ms) {
        sla_due = d.config.calendar
                      .add_business_days(workflow::jst_date_of(record->paired_at_ms),
                                         d.config.sla_due_business_days)
                      .to_string();
    }
    const json body{
        {"application", id},
        {"state", record->state},
        {"version", record->version.value},
        {"assignee", record->assignee},
        {"received_at", format_rfc3339_ms(record->received_at_ms)},
        {"paired_at",
         record->paired_at_ms ? json(format_rfc3339_ms(record->paired_at_ms)) : json(nullptr)},
        {"sla_due_date", sla_due},
        {"reasons", record->rejection_codes},
        {"warnings", record->warnings},
        {"possible_duplicate_of", record->possible_duplicate_of},
        {"usage_channels", record->usage_channels},
        {"unrecognized_usages", record->unrecognized_usages},
        {"erased", record->erased},
        {"contact", contact},
        {"urls", urls}};
    // The disclosure is durable before a byte of PII leaves; without it, no PII.
    if (disclosed) {
        if (auto logged = disclose(context, {id}, kContactFields); !logged.is_ok()) {
            return problem(503, "disclosure_not_recorded",
                           "the disclosure could not be recorded, so nothing is shown",
                           logged.message());
        }
    }
    auto response = json_response(200, body);
    response.set_header("ETag", etag(record->version));
    return response;
}

HttpResponse ApiService::Impl::command(Context& context) {
    const std::string& id = context.match.parameters.at("id");
    const std::string& name = context.match.parameters.at("name");
    const auto& principal = *context.principal;
    const std::string if_match = context.request.header("if-match");
    if (if_match.empty()) {
        return problem(428, "if_match_required",
                       "commands need If-Match with the application's ETag (GET it first)");
    }
    auto expected = version_of_if_match(if_match);
    if (!expected)
        return problem(400, "invalid_if_match", "If-Match must be an ETag such as \"v12\"");
    const std::string key = context.request.header("idempotency-key");
    if (key.size() > 200)
        return problem(400, "invalid_idempotency_key", "Idempotency-Key is at most 200 characters");
    // Supervisor-only commands; an operator may approve only what validation accepted.
    if (principal.role == auth::Role::operator_role) {
        if (name == "revoke_url" || name == "erase")
            return problem(403, "forbidden", "only a supervisor may " + name);
        if (name == "approve" && workflow::usage_period_ended(d.config, d.clock_ms()))
            return problem(403, "forbidden",
                           "the usage period has ended: only a supervisor may approve now, with a "
                           "justification");
        if (name == "approve") {
            auto record = workflow::load_application(d.store, id);
            if (!record.is_ok()) return problem_for(record.status());
            if (record->version.value == *expected &&
                record->state == domain::ApplicationState::rejected) {
                return problem(403, "forbidden", "overriding a rejection needs a supervisor");
            }
        }
    }
    workflow::CommandRequest request{id,
                                     name,
                                     principal.name,
                                     context.request.body.empty() ? "{}" : context.request.body,
                                     StreamVersion{*expected},
                                     context.request_id,
                                     ""};
    if (!key.empty()) {
        request.idempotency_stream =
            domain::idempotency_stream(to_hex(sha256(principal.name + "\n" + key))
                                           .substr(0, domain::kIdempotencyKeyHexDigits));
        // The same key may only ever stand for the same request: method, path and body (as
        // canonical JSON, so key order and spacing do not matter).
        const json parsed = json::parse(context.request.body, nullptr, false);
        const std::string body = parsed.is_discarded() ? context.request.body : parsed.dump();
        request.request_fingerprint =
            to_hex(sha256(context.request.method + "\n" + context.path + "\n" + body));
    }
    auto outcome = commands.execute(request);
    if (!outcome.is_ok()) return problem_for(outcome.status());
    auto response = json_response(200, {{"application", outcome->application},
                                        {"state", outcome->state},
                                        {"version", outcome->version.value},
                                        {"events", outcome->events},
                                        {"repeated", outcome->repeated}});
    response.set_header("ETag", etag(outcome->version));
    if (outcome->repeated) response.set_header("Idempotent-Replayed", "true");
    return response;
}

namespace {

// `from` (a cursor, >= 1, default 1) and `limit` (1..1000, default 100) of a paged request;
// a problem response when either is malformed.
std::variant<std::pair<std::uint64_t, std::uint64_t>, HttpResponse> page_parameters(
    std::map<std::string, std::string>& query, const char* cursor_name) {
    std::uint64_t from = 1, limit = 100;
    if (query.count("from")) {
        auto parsed = number(query["from"]);
        if (!parsed || *parsed == 0)
            return problem(400, "invalid_cursor",
                           std::string("from must be a ") + cursor_name + " >= 1");
        from = *parsed;
    }
    if (query.count("limit")) {
        auto parsed = number(query["limit"]);
        if (!parsed || *parsed == 0 || *parsed > 1000)
            return problem(400, "invalid_limit", "limit must be 1 to 1000");
        limit = *parsed;
    }
    return std::make_pair(from, limit);
}

}  // namespace

HttpResponse ApiService::Impl::application_events(Context& context) {
    const std::string& id = context.match.parameters.at("id");
    auto page = page_parameters(context.query, "stream version");
    if (auto* refused = std::get_if<HttpResponse>(&page)) return *refused;
    const auto [from, limit] = std::get<0>(page);
    auto events =
        d.store.read_stream_forward(domain::application_stream(id), StreamVersion{from}, limit);
    if (!events.is_ok()) return problem_for(events.status());
    if (events->empty() && from == 1)
        return problem(404, "unknown_application", "no application " + id);
    json items = json::array();
    for (const auto& event : events.value()) items.push_back(event_json(event));
    const json next =
        events->size() == limit ? json(events->back().version.value + 1) : json(nullptr);
    return json_response(200, {{"items", items}, {"next", next}});
}

HttpResponse ApiService::Impl::events(Context& context) {
    auto page = page_parameters(context.query, "seq");
    if (auto* refused = std::get_if<HttpResponse>(&page)) return *refused;
    const auto [from, limit] = std::get<0>(page);
    auto events = d.store.read_all(Seq{from}, limit);
    if (!events.is_ok()) return problem_for(events.status());
    json items = json::array();
    for (const auto& event : events.value()) items.push_back(event_json(event));
    const json next = events->size() == limit ? json(events->back().seq.value + 1) : json(nullptr);
    return json_response(200, {{"items", items}, {"next", next}, {"head", d.store.head().value}});
}

HttpResponse ApiService::Impl::download(Context& context) {
    auto response =
        downloads.handle({context.match.parameters.at("token"), context.request_id,
                          context.request.remote, context.request.header("user-agent")});
    if (!response.is_ok())
        return problem(503, "download_not_recorded",
                       "the download could not be recorded; try again shortly");
    HttpResponse out;
    out.status = response->status;
    out.body = response->body;
    out.set_header("Content-Type", "text/plain; charset=utf-8");
    if (response->status == 302) out.set_header("Location", response->location);
    return out;
}

HttpResponse ApiService::Impl::create_token(Context& context) {
    const json body = json::parse(context.request.body, nullptr, false);
    if (!body.is_object() || !body.contains("name") || !body.contains("role") ||
        !body["name"].is_string() || !body["role"].is_string() ||
        (body.contains("pii_access") && !body["pii_access"].is_boolean()) ||
        (body.contains("display_name") && !body["display_name"].is_string())) {
        return problem(400, "invalid_body",
                       "send {\"name\": ..., \"role\": ..., \"display_name\"?: text, "
                       "\"pii_access\"?: true|false}");
    }
    auto role = auth::role_named(body["role"]);
    if (!role)
        return problem(400, "unknown_role",
                       "role must be operator, supervisor, auditor, responder or admin");
    auto created = d.principals.create(body["name"], *role, body.value("pii_access", false),
                                       context.principal->name, body.value("display_name", ""));
    if (!created.is_ok()) return problem_for(created.status());
    return json_response(201, {{"token", created->token},
                               {"name", created->principal.name},
                               {"role", auth::role_name(*role)},
                               {"display_name", created->principal.display_name},
                               {"pii_access", created->principal.pii_access}});
}

namespace {

json hashes_json(const std::vector<merkle::Hash>& hashes) {
    json out = json::array();
    for (const auto& hash : hashes)
        out.push_back(base64_encode(
            std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size())));
    return out;
}

std::string base64_hash(const merkle::Hash& hash) {
    return base64_encode(std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
}

}  // namespace

HttpResponse ApiService::Impl::ledger_checkpoint() {
    auto latest = d.ledger.latest_checkpoint();
    if (!latest.is_ok()) return problem_for(latest.status());
    if (!latest.value()) return problem(404, "no_checkpoint", "no checkpoint has been signed yet");
    HttpResponse response;
    response.body = latest.value()->note;
    response.set_header("Content-Type", "text/plain; charset=utf-8");
    response.set_header("X-Verifier-Key", d.ledger.verifier_key());
    return response;
}

HttpResponse ApiService::Impl::inclusion_proof(Context& context) {
    auto seq = number(context.query.count("seq") ? context.query["seq"] : "");
    auto size = number(context.query.count("size") ? context.query["size"] : "");
    if (!seq || !size || *seq == 0 || *seq > *size)
        return problem(400, "invalid_range", "need 1 <= seq <= size");
    auto proof = d.ledger.inclusion_proof(Seq{*seq}, *size);
    if (!proof.is_ok()) return problem_for(proof.status());
    auto root = d.ledger.root(*size);
    if (!root.is_ok()) return problem_for(root.status());
    auto event = d.store.read_event(Seq{*seq});
    if (!event.is_ok()) return problem_for(event.status());
    return json_response(200, {{"seq", *seq},
                               {"leaf_index", *seq - 1},
                               {"size", *size},
                               {"event_hash", to_hex(event->hash)},
                               {"root", base64_hash(root.value())},
                               {"proof", hashes_json(proof.value())}});
}

HttpResponse ApiService::Impl::consistency_proof(Context& context) {
    auto first = number(context.query.count("from") ? context.query["from"] : "");
    auto second = number(context.query.count("to") ? context.query["to"] : "");
    if (!first || !second || *first == 0 || *first > *second)
        return problem(400, "invalid_range", "need 1 <= from <= to");
    auto proof = d.ledger.consistency_proof(*first, *second);
    if (!proof.is_ok()) return problem_for(proof.status());
    auto first_root = d.ledger.root(*first);
    auto second_root = d.ledger.root(*second);
    if (!first_root.is_ok() || !second_root.is_ok())
        return problem(500, "internal", "cannot compute roots");
    return json_response(200, {{"from", *first},
                               {"to", *second},
                               {"from_root", base64_hash(first_root.value())},
                               {"to_root", base64_hash(second_root.value())},
                               {"proof", hashes_json(proof.value())}});
}

HttpResponse ApiService::Impl::incident(Context& context, RouteId id) {
    auto records_json = [](const std::vector<DisclosureRecord>& records) {
        return json::parse(disclosures_to_json(records));
    };
    if (id == RouteId::incident_report) {
        auto created = incident::report(d.store, context.principal->name, context.request.body);
        if (!created.is_ok()) return problem_for(created.status());
        return json_response(201, {{"incident", created.value()}});
    }
    if (id == RouteId::incident_step) {
        const std::string& incident_id = context.match.parameters.at("incident");
        auto seq = incident::take_step(
            d.store,
            [&](std::int64_t before_ms) { return d.disclosures.registered_before(before_ms); },
            incident_id, context.match.parameters.at("step"), context.principal->name,
            context.request.body);
        if (!seq.is_ok()) return problem_for(seq.status());
        return json_response(200, {{"incident", incident_id},
                                   {"step", context.match.parameters.at("step")},
                                   {"seq", seq->value}});
    }
    if (id == RouteId::incident_who_saw) {
        auto records = d.disclosures.who_saw(context.match.parameters.at("id"));
        if (!records.is_ok()) return problem_for(records.status());
        return json_response(200, {{"application", context.match.parameters.at("id")},
                                   {"disclosures", records_json(records.value())}});
    }
    if (id == RouteId::incident_saw_what) {
        auto records = d.disclosures.saw_what(context.match.parameters.at("principal"));
        if (!records.is_ok()) return problem_for(records.status());
        return json_response(200, {{"principal", context.match.parameters.at("principal")},
                                   {"disclosures", records_json(records.value())}});
    }
    auto from = parse_rfc3339_ms(context.query.count("from") ? context.query["from"] : "");
    auto to = parse_rfc3339_ms(context.query.count("to") ? context.query["to"] : "");
    if (!from || !to || *from >= *to)
        return problem(400, "invalid_window", "need from < to, both RFC 3339 times");
    std::optional<IncidentRecord> incident_record;
    if (context.query.count("incident")) {
        auto loaded = load_incident(d.store, context.query["incident"]);
        if (!loaded.is_ok()) return problem_for(loaded.status());
        incident_record = loaded.value();
    }
    auto review = review_incident(d.disclosures, *from, *to, incident_record);
    if (!review.is_ok()) return problem_for(review.status());
    auto response = json_response(200, json::parse(review_as_json(review.value())));
    return response;
}

}  // namespace kakitome::api
