// ApiService::Impl: the service's state and its handlers, one file per resource in
// api/handlers/ (applications, log, incidents, operations), the routing and gating in
// api_service.cc. Internal to api/.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/answers.h"
#include "api/api_service.h"
#include "api/organization_search.h"
#include "api/query.h"
#include "api/routes.h"
#include "engine/download/download_service.h"
#include "engine/workflow/application_record_cache.h"

namespace kakitome::api {

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
    OrganizationSearch organizations;
    // GET /v1/applications/{id} folds the stream again only when it has moved.
    workflow::ApplicationRecordCache application_records;

    // Asynchronous disclosures not yet completed: the destructor waits for them (their
    // completions use this object).
    std::mutex owed_mutex;
    std::condition_variable owed_changed;
    std::size_t replies_owed = 0;

    // The log's head when the API started: the read models must have folded this far before a
    // route that reads them answers (route_reads_projections).
    Seq head_at_start;

    explicit Impl(ApiDependencies dependencies)
        : d(std::move(dependencies)),
          commands(d.commands),
          downloads(d.store, d.config, d.clock_ms),
          organizations(d.store, d.vault),
          application_records(d.store),
          head_at_start(d.store.head()) {}
    ~Impl() {
        std::unique_lock lock(owed_mutex);
        owed_changed.wait(lock, [this] { return replies_owed == 0; });
    }

    struct Context {
        const HttpRequest& request;
        RouteMatch match;  // by value: a context outlives the call that matched it
        std::string path;
        std::string request_id;
        std::optional<auth::Principal> principal;
        std::map<std::string, std::string> query;
        std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    };

    // A handler's answer. One that carries PII names what it discloses; handle() makes that
    // disclosure durable before a byte of the response is sent, and answers 503
    // disclosure_not_recorded instead when it cannot: a handler cannot send PII unrecorded.
    struct Disclosure {
        std::vector<std::string> applications;
        std::vector<std::string> fields;
    };
    struct Answer {
        Answer(HttpResponse answered)
            : response(std::move(answered)) {}  // NOLINT: most are PII-free
        Answer(HttpResponse answered, Disclosure recorded_first)
            : response(std::move(answered)), disclosure(std::move(recorded_first)) {}
        HttpResponse response;
        std::optional<Disclosure> disclosure;
    };
    // dispatch(), with an exception turned into a 500.
    Answer answer(Context& context);
    Answer dispatch(Context& context);
    // Route, authentication, role and query parameters: what can be decided on the headers.
    std::optional<HttpResponse> gate(Context& context);
    Context context_of(const HttpRequest& request) const;
    void finish(HttpResponse& response, const Context& context);
    void log_request(const HttpResponse& response, const Context& context) const;
    HttpResponse metrics();
    HttpResponse readiness();
    HttpResponse post_mail(Context& context);
    HttpResponse queue(Context& context);
    Answer application(Context& context);
    HttpResponse command(Context& context);
    std::optional<HttpResponse> refusal_for_operator(const std::string& id,
                                                     const std::string& command,
                                                     std::uint64_t expected);
    HttpResponse application_events(Context& context);
    HttpResponse events(Context& context);
    HttpResponse download(Context& context);
    HttpResponse create_token(Context& context);
    HttpResponse list_tokens();
    HttpResponse revoke_token(Context& context);
    HttpResponse rotate_token(Context& context);
    HttpResponse backups();
    HttpResponse create_backup();
    HttpResponse retention_review();
    HttpResponse run_retention();
    HttpResponse ledger_checkpoint();
    HttpResponse ledger_checkpoints(Context& context);
    HttpResponse inclusion_proof(Context& context);
    HttpResponse consistency_proof(Context& context);
    HttpResponse incident(Context& context, RouteId id);
    // Another system's evidence: imports and the evidence bundle (external_evidence_handlers.cc).
    HttpResponse incident_evidence(Context& context, RouteId id);
    HttpResponse me(const Context& context);
    HttpResponse queue_as_of(Context& context);
    HttpResponse inbox(Context& context);
    HttpResponse organizations_of(Context& context);
    HttpResponse console_file(const std::string& name);
    Status disclose(const Context& context, const std::vector<std::string>& applications,
                    const std::vector<std::string>& fields);
    // Whether the read models are still folding what the log held at start, and if so how far
    // they are ("folding read model 2 of 6, at event N of M events"): 503 catching_up, /readyz.
    std::optional<std::string> read_models_behind() const;
    // The disclosure's event, appended to the principal's disclosure stream.
    StreamAppend disclosure_append(const Context& context, const Disclosure& disclosure) const;
};

}  // namespace kakitome::api
