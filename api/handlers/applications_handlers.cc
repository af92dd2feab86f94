// The application routes: mail upload, the queue, one application (its PII disclosed first),
// commands, an application's events, and /d/<token>.
#include "api/service_impl.h"

#include <atomic>
#include <charconv>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <variant>

#include "api/routes.h"
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
#include "events/base/sha256.h"
#include "events/base/timestamp.h"
#include "projections/incident_review.h"
#include "projections/projection_runner.h"
#include "projections/queue_projection.h"

namespace kakitome::api {

namespace {

// Queue pages answered from memory until the queue changes: enough for every page of 100k
// applications at the default limit, bounded so odd limits and cursors cannot grow it forever.
constexpr std::size_t kCachedQueuePages = 1024;
// An Idempotency-Key is the client's opaque id (a UUID is 36); longer is a client bug.
constexpr std::size_t kMaxIdempotencyKeyLength = 200;

}  // namespace

HttpResponse ApiService::Impl::post_mail(Context& context) {
    const std::string type = context.request.header("content-type");
    if (type.rfind("message/rfc822", 0) != 0) {
        return problem(415, "unsupported_media_type", "send the mail as message/rfc822",
                       "got '" + type + "'");
    }
    // A standby could not record the mail; refuse before intake stores its blob or makes a
    // data key beside the replicated log, which no event would then refer to.
    if (d.replication != nullptr && !d.store.writer_state().writer)
        return problem_for(Status::unavailable(d.store.writer_state().reason));
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
    const auto limit_or_refusal = page_limit(context.query);
    if (auto* refused = std::get_if<HttpResponse>(&limit_or_refusal)) return *refused;
    const std::uint64_t limit = std::get<std::uint64_t>(limit_or_refusal);
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
    if (pages.size() < kCachedQueuePages) pages[page_key] = response.body;
    return response;
}

HttpResponse ApiService::Impl::queue_as_of(Context& context) {
    const auto at = parse_rfc3339_ms(context.query.count("at") ? context.query["at"] : "");
    if (!at) return problem(400, "invalid_time", "at must be an RFC 3339 time");
    auto until = last_seq_at_or_before(d.store, *at);
    if (!until.is_ok()) return problem_for(until.status());
    // A fresh fold from seq 1 (verifying the chain on the way): the queue exactly as the log
    // says it was, with `overdue` judged at that moment, not now.
    QueueProjection rebuilt(d.config);
    if (until->value > 0) {
        if (auto folded = rebuild_projection(d.store, rebuilt, until.value()); !folded.is_ok())
            return problem_for(folded);
    }
    return json_response(200, {{"at", format_rfc3339_ms(*at)},
                               {"seq", until->value},
                               {"items", json::parse(rebuilt.to_json(*at))}});
}

ApiService::Impl::Answer ApiService::Impl::application(Context& context) {
    const std::string& id = context.match.parameters.at("id");
    auto record = application_records.load(id);
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
                   {"filename", opened->filename},
                   {"usage_other", opened->usage_other},
                   {"remarks", opened->remarks}};
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
    // The commands this caller may give now: the state's commands (the workflow table), with why
    // an operator must leave one to a supervisor. The console offers exactly these.
    json offered = json::array();
    if (principal.role == auth::Role::operator_role || principal.role == auth::Role::supervisor) {
        for (const auto& rule : domain::command_rules()) {
            if (!domain::command_allowed_in(rule.command, record->state)) continue;
            const std::string name(rule.command);
            const auto why =
                principal.role == auth::Role::operator_role
                    ? workflow::supervisor_needed(name, &record.value(), d.config, d.clock_ms())
                    : std::nullopt;
            offered.push_back(
                {{"name", name}, {"needs_supervisor", why ? json(*why) : json(nullptr)}});
        }
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
        {"version", record->decision_version.value},
        {"stream_version", record->version.value},
        {"assignee", record->assignee},
        {"received_at", format_rfc3339_ms(record->received_at_ms)},
        {"paired_at",
         record->paired_at_ms ? json(format_rfc3339_ms(record->paired_at_ms)) : json(nullptr)},
        {"sla_due_date", sla_due},
        {"reasons", record->rejection_codes},
        {"warnings", record->warnings},
        {"possible_duplicate_of", record->possible_duplicate_of},
        {"application_date", record->application_date},
        {"consent", record->consent},
        {"usage_channels", record->usage_channels},
        {"unrecognized_usages", record->unrecognized_usages},
        {"erased", record->erased},
        {"legal_hold",
         record->legal_hold ? json{{"reason", record->legal_hold_reason}} : json(nullptr)},
        {"contact", contact},
        {"urls", urls},
        {"commands", offered}};
    auto response = json_response(200, body);
    response.set_header("ETag", etag(record->decision_version));
    // Sent only once this disclosure is durable (handle()); without it, no PII.
    if (disclosed) return Answer(std::move(response), Disclosure{{id}, kContactFields});
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
    if (key.size() > kMaxIdempotencyKeyLength)
        return problem(400, "invalid_idempotency_key",
                       "Idempotency-Key is at most " + std::to_string(kMaxIdempotencyKeyLength) +
                           " characters");
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
    // A retry is answered with what was decided when the request was first made, whoever may
    // decide it now: an operator's approval retried after the usage period ended is still the
    // approval made before it.
    auto outcome = commands.recorded_outcome(request);
    if (!outcome) {
        if (principal.role == auth::Role::operator_role) {
            if (auto refused = refusal_for_operator(id, name, *expected)) return *refused;
        }
        outcome = commands.execute(request);
    }
    if (!outcome->is_ok()) return problem_for(outcome->status());
    const workflow::CommandOutcome& done = outcome->value();
    auto response = json_response(200, {{"application", done.application},
                                        {"state", done.state},
                                        {"version", done.version.value},
                                        {"events", done.events},
                                        {"repeated", done.repeated}});
    response.set_header("ETag", etag(done.version));
    if (done.repeated) response.set_header("Idempotent-Replayed", "true");
    return response;
}

// What an operator may not decide alone is the workflow's rule (supervisor_needed); an approval
// is judged on the application as the If-Match version says it is.
std::optional<HttpResponse> ApiService::Impl::refusal_for_operator(const std::string& id,
                                                                   const std::string& command,
                                                                   std::uint64_t expected) {
    std::optional<workflow::ApplicationRecord> record;
    if (command == "approve" && !workflow::usage_period_ended(d.config, d.clock_ms())) {
        auto loaded = workflow::load_application(d.store, id);
        if (!loaded.is_ok()) return problem_for(loaded.status());
        if (loaded->decision_version.value == expected) record = std::move(loaded).value();
    }
    if (auto why = workflow::supervisor_needed(command, record ? &*record : nullptr, d.config,
                                               d.clock_ms()))
        return problem(403, "forbidden", *why);
    return std::nullopt;
}

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

}  // namespace kakitome::api
